import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { LimeClient, MessageState, RoomState } from '../sdk/client';
import { operationKinds } from '../sdk/messages';
import type { OutboxItem } from '../sdk/outbox';
import { mentions } from '../sdk/timelines';
import type { EventDto } from '../sdk/types';
import { Avatar } from './Avatar';
import { formatDay, formatTime, sameDay } from './format';
import { AlertIcon, CheckIcon, ClockIcon, DownIcon } from './icons';
import { linkify, neutraliseBidi } from './linkify';
import { EditBox, MessageActions, ReactionChips, type MessageMenuItem } from './MessageActions';

/** What the timeline asks its chat to do with a message (the chat confirms, calls the SDK and shows errors). */
export interface MessageHandlers {
  reply(e: EventDto): void;
  startEdit(seq: number): void;
  saveEdit(seq: number, text: string): void;
  cancelEdit(): void;
  delete(seq: number): void;
  hide(seq: number): void;
  toggleReaction(seq: number, emoji: string, mine: boolean): void;
  pin(seq: number, pinned: boolean): void;
}

const GROUP_MS = 5 * 60_000;

type Row =
  | { kind: 'day'; key: string; ts: number }
  | { kind: 'unread'; key: string }
  | { kind: 'system'; key: string; event: EventDto }
  | { kind: 'message'; key: string; event: EventDto; first: boolean; last: boolean };

/**
 * The timeline: day separators, system events as pills, messages as bubbles grouped by sender, then this device's
 * unsent messages with their send state. Scrolling up loads older history (keeping the view steady); new messages
 * keep the view at the bottom only if it already was there.
 */
export function MessageList({
  client,
  room,
  unreadAtOpen,
  handlers,
  editing,
  jumpTo,
}: {
  client: LimeClient;
  room: RoomState;
  unreadAtOpen: { after: number; through: number };
  handlers: MessageHandlers;
  /** The message being edited in place. */
  editing: number | null;
  /** A request to show a message (a pinned one): its seq, and a counter so the same seq can be asked again. */
  jumpTo: { seq: number; n: number } | null;
}) {
  const id = room.room.id;
  const me = client.me?.id ?? 0;
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const anchor = useRef<{ height: number; top: number } | null>(null);
  const initialised = useRef(false);
  const [showJump, setShowJump] = useState(false);
  const [highlight, setHighlight] = useState<number | null>(null);
  const pending = client.pending(id);
  const events = room.events;
  const firstSeq = events.length ? events[0].seq : room.base + 1;
  const nameOf = useCallback((u: number) => client.displayName(u), [client]);
  const lastSeq = events.length ? events[events.length - 1].seq : room.base;

  const messages = room.messages;
  const roomVersion = room.version;
  // The message states change in place (hidden ones drop out of the rows): the room's version says when.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const rows = useMemo(() => buildRows(events, me, unreadAtOpen, messages), [events, me, unreadAtOpen, messages, roomVersion]);
  const bySeq = useMemo(() => new Map(events.map((e) => [e.seq, e])), [events]);

  const loadOlder = useCallback(() => {
    const el = scroller.current;
    if (!el || !room.hasMoreBefore || room.loadingOlder) return;
    anchor.current = { height: el.scrollHeight, top: el.scrollTop };
    void client.loadOlder(id);
  }, [client, id, room.hasMoreBefore, room.loadingOlder]);

  // Older page prepended: keep the same messages under the reader's eyes.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && anchor.current) {
      el.scrollTop = el.scrollHeight - anchor.current.height + anchor.current.top;
      anchor.current = null;
    }
  }, [firstSeq]);

  // First render: the first unread message, or the bottom.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el || initialised.current) return;
    initialised.current = true;
    const divider = el.querySelector('[data-unread-divider]');
    if (divider instanceof HTMLElement && divider.offsetTop > el.clientHeight / 2) {
      el.scrollTop = divider.offsetTop - 80;
      atBottom.current = false;
    } else {
      el.scrollTop = el.scrollHeight;
    }
  });

  // New messages (or my own sends): follow them when at the bottom.
  const pendingCount = pending.length;
  const lastPending = useRef(pendingCount);
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const sentSomething = pendingCount > lastPending.current;
    lastPending.current = pendingCount;
    if (atBottom.current || sentSomething) {
      el.scrollTop = el.scrollHeight;
      atBottom.current = true;
    }
  }, [lastSeq, pendingCount, room.typing]);

  // A short history that does not fill the view: load more right away.
  useEffect(() => {
    const el = scroller.current;
    if (el && el.scrollHeight <= el.clientHeight + 50 && room.hasMoreBefore && !room.loadingOlder) loadOlder();
  }, [rows, room.hasMoreBefore, room.loadingOlder, loadOlder]);

  useEffect(() => {
    if (highlight === null) return;
    const t = setTimeout(() => setHighlight(null), 1800);
    return () => clearTimeout(t);
  }, [highlight]);

  // Jump to a replied-to message: load history back to it, then scroll it into view once rendered.
  const jump = useCallback(
    (seq: number) => {
      void client.ensureLoaded(id, seq).then((ok) => {
        if (!ok) return;
        let frames = 0;
        const find = () => {
          const target = document.getElementById(`msg-${id}-${seq}`);
          if (target) {
            target.scrollIntoView({ block: 'center' });
            atBottom.current = false;
            setHighlight(seq);
          } else if (frames++ < 30) {
            requestAnimationFrame(find);
          }
        };
        requestAnimationFrame(find);
      });
    },
    [client, id],
  );

  useEffect(() => {
    if (jumpTo) jump(jumpTo.seq);
  }, [jumpTo, jump]);

  function onScroll() {
    const el = scroller.current;
    if (!el) return;
    const bottom = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    atBottom.current = bottom;
    if (showJump === bottom) setShowJump(!bottom);
    if (el.scrollTop < 400) loadOlder();
  }

  const small = room.reads.size > 0;
  const groupRoom = room.room.kind !== 'direct';
  const moderator = room.room.my_role === 'owner' || room.room.my_role === 'admin';
  const canPin = moderator || room.room.kind === 'direct';
  const pinned = new Set(room.pinned);

  return (
    <div className="messages-wrap">
      <div className="messages" ref={scroller} onScroll={onScroll} data-testid="message-list">
        <div className="history-edge">
          {room.loadingOlder ? (
            <span className="spinner" aria-label="Loading older messages" />
          ) : !room.hasMoreBefore ? (
            <span className="muted">This is the beginning of the conversation.</span>
          ) : null}
        </div>
        {rows.map((row) => {
          switch (row.kind) {
            case 'day':
              return (
                <div key={row.key} className="day-separator">
                  <span>{formatDay(row.ts)}</span>
                </div>
              );
            case 'unread':
              return (
                <div key={row.key} className="unread-divider" data-unread-divider>
                  <span>Unread messages</span>
                </div>
              );
            case 'system':
              return (
                <div key={row.key} className="system" data-testid="system-event" id={`msg-${id}-${row.event.seq}`}>
                  <span>{systemText(client, room, row.event)}</span>
                </div>
              );
            case 'message': {
              const e = row.event;
              const mine = e.sender === me;
              const reply = e.reply_to ? bySeq.get(e.reply_to) : undefined;
              const replyState = e.reply_to ? messages.get(e.reply_to) : undefined;
              const unreadBy = small ? client.unreadBy(room, e.seq, e.sender) : undefined;
              return (
                <MessageRow
                  key={row.key}
                  roomId={id}
                  event={e}
                  state={messages.get(e.seq)}
                  me={me}
                  mine={mine}
                  mentionsMe={!mine && mentions(e, me)}
                  canDelete={mine || moderator}
                  canPin={canPin}
                  pinned={pinned.has(e.seq)}
                  editing={editing === e.seq}
                  handlers={handlers}
                  nameOf={nameOf}
                  first={row.first}
                  last={row.last}
                  senderName={client.displayName(e.sender)}
                  showSender={groupRoom && !mine && row.first}
                  showAvatar={groupRoom && !mine}
                  replySeq={e.reply_to ?? null}
                  replyName={reply ? client.displayName(reply.sender) : null}
                  replyText={
                    reply ? (reply.kind === 'message' ? (replyState?.deleted ? 'Message deleted' : (replyState?.text ?? reply.text ?? '')) : systemText(client, room, reply)) : null
                  }
                  unreadBy={unreadBy}
                  highlighted={highlight === e.seq}
                  onJump={jump}
                />
              );
            }
          }
          return null;
        })}
        {pending.map((item) => (
          <PendingRow
            key={item.client_msg_id}
            client={client}
            item={item}
            replyName={item.reply_to && bySeq.get(item.reply_to) ? client.displayName(bySeq.get(item.reply_to)?.sender ?? 0) : null}
            replyText={item.reply_to ? bySeq.get(item.reply_to)?.text ?? null : null}
            onJump={jump}
          />
        ))}
      </div>
      {showJump && (
        <button
          className="jump-bottom"
          aria-label="Jump to latest"
          onClick={() => {
            const el = scroller.current;
            if (el) el.scrollTo({ top: el.scrollHeight, behavior: 'smooth' });
          }}
        >
          <DownIcon />
          {room.unread > 0 && <span className="badge">{room.unread}</span>}
        </button>
      )}
    </div>
  );
}

interface MessageRowProps {
  roomId: number;
  event: EventDto;
  /** The message's state (text after edits, tombstone, reactions). */
  state: MessageState | undefined;
  me: number;
  mine: boolean;
  mentionsMe: boolean;
  canDelete: boolean;
  canPin: boolean;
  pinned: boolean;
  editing: boolean;
  handlers: MessageHandlers;
  nameOf: (id: number) => string;
  first: boolean;
  last: boolean;
  senderName: string;
  showSender: boolean;
  showAvatar: boolean;
  replySeq: number | null;
  replyName: string | null;
  replyText: string | null;
  unreadBy: number | undefined;
  highlighted: boolean;
  onJump: (seq: number) => void;
}

const MessageRow = memo(function MessageRow(p: MessageRowProps) {
  const e = p.event;
  const h = p.handlers;
  const deleted = p.state?.deleted ?? e.deleted === true;
  const text = p.state ? p.state.text : (e.text ?? null);
  const editedAt = p.state?.editedAt ?? e.edited_at ?? null;
  const readByAll = p.unreadBy === 0;
  const items: MessageMenuItem[] = [];
  if (!deleted) {
    if (p.mine) items.push({ label: 'Edit', run: () => h.startEdit(e.seq) });
    if (p.canPin) items.push({ label: p.pinned ? 'Unpin' : 'Pin', run: () => h.pin(e.seq, !p.pinned) });
    if (p.canDelete) items.push({ label: 'Delete for everyone', run: () => h.delete(e.seq), danger: true });
  }
  items.push({ label: 'Hide for me', run: () => h.hide(e.seq) });
  // One read indicator per message: while members have not read it, how many (small rooms); then the read ticks.
  const unreadCount = p.unreadBy !== undefined && p.unreadBy > 0 ? p.unreadBy : 0;
  return (
    <div
      className={`msg-row ${p.mine ? 'mine' : 'theirs'} ${p.first ? 'first' : ''} ${p.last ? 'last' : ''} ${p.highlighted ? 'highlight' : ''} ${p.mentionsMe ? 'mentions-me' : ''} ${deleted ? 'deleted' : ''}`}
      id={`msg-${p.roomId}-${e.seq}`}
      data-testid="message"
      data-seq={e.seq}
      data-state="sent"
      data-mine={p.mine ? 'true' : 'false'}
      data-mentions-me={p.mentionsMe ? 'true' : 'false'}
      data-deleted={deleted ? 'true' : 'false'}
      data-edited={editedAt !== null ? 'true' : 'false'}
      data-pinned={p.pinned ? 'true' : 'false'}
      onContextMenu={(ev) => {
        // A long press on a touch screen: show this message's actions (the reply button) instead of the browser menu.
        if (window.matchMedia('(hover: none)').matches) {
          ev.preventDefault();
          ev.currentTarget.classList.toggle('actions-open');
        }
      }}
    >
      {p.showAvatar && (p.last ? <Avatar name={p.senderName} seed={e.sender} size={30} /> : <span className="avatar-spacer" />)}
      <div className="msg-col">
        {p.showSender && <div className="msg-sender">{p.senderName}</div>}
        <div className="msg-line">
          <div className="bubble">
            {p.replySeq !== null && !deleted && <Quote seq={p.replySeq} name={p.replyName} text={p.replyText} onJump={p.onJump} />}
            {p.mentionsMe && <span className="sr-only">Mentions you. </span>}
            {deleted ? (
              <span className="msg-text tombstone" data-testid="message-text">
                Message deleted
              </span>
            ) : p.editing ? (
              <EditBox initial={text ?? ''} onSave={(t) => h.saveEdit(e.seq, t)} onCancel={h.cancelEdit} />
            ) : (
              <span className="msg-text" data-testid="message-text">
                {linkify(text ?? '')}
              </span>
            )}
            <span className="msg-meta">
              {p.pinned && <span className="pin-mark" title="Pinned" aria-label="Pinned">📌</span>}
              {editedAt !== null && !deleted && (
                <span className="edited" data-testid="edited" title={`Edited ${new Date(editedAt).toLocaleString()}`}>
                  edited
                </span>
              )}
              <time dateTime={new Date(e.ts).toISOString()}>{formatTime(e.ts)}</time>
              {p.mine && !unreadCount && (
                <span className={`ticks ${readByAll ? 'read' : ''}`} title={readByAll ? 'Read' : 'Sent'} data-testid="ticks" data-read={readByAll ? 'true' : 'false'}>
                  <CheckIcon double={readByAll} />
                </span>
              )}
            </span>
          </div>
          {unreadCount > 0 && (
            <span className="unread-by" title={`Unread by ${unreadCount}`} aria-label={`Unread by ${unreadCount}`} data-testid="unread-by">
              {unreadCount}
            </span>
          )}
          {!p.editing && (
            <MessageActions
              onReply={deleted ? undefined : () => h.reply(e)}
              onReact={deleted ? undefined : (emoji) => h.toggleReaction(e.seq, emoji, p.state?.reactions.find((r) => r.emoji === emoji)?.users?.includes(p.me) ?? false)}
              items={items}
            />
          )}
        </div>
        {!deleted && p.state && (
          <ReactionChips reactions={p.state.reactions} me={p.me} nameOf={p.nameOf} onToggle={(emoji, mine) => h.toggleReaction(e.seq, emoji, mine)} />
        )}
      </div>
    </div>
  );
});

function Quote({ seq, name, text, onJump }: { seq: number; name: string | null; text: string | null; onJump: (seq: number) => void }) {
  return (
    <button className="quote" onClick={() => onJump(seq)} data-testid="reply-quote" title="Show the original message">
      <strong>{name ?? 'Earlier message'}</strong>
      <span>{text !== null ? neutraliseBidi(text) : 'Tap to load the original message'}</span>
    </button>
  );
}

function PendingRow({
  client,
  item,
  replyName,
  replyText,
  onJump,
}: {
  client: LimeClient;
  item: OutboxItem;
  replyName: string | null;
  replyText: string | null;
  onJump: (seq: number) => void;
}) {
  return (
    <div
      className={`msg-row mine first last pending ${item.state}`}
      data-testid="message"
      data-state={item.state}
      data-client-msg-id={item.client_msg_id}
      data-mine="true"
    >
      <div className="msg-col">
        <div className="msg-line">
          <div className="bubble">
            {item.reply_to !== undefined && <Quote seq={item.reply_to} name={replyName} text={replyText} onJump={onJump} />}
            <span className="msg-text" data-testid="message-text">
              {linkify(item.text)}
            </span>
            <span className="msg-meta">
              {item.state === 'failed' ? (
                <span className="failed-text">
                  <AlertIcon /> Not sent
                </span>
              ) : item.state === 'sending' ? (
                <span className="sending-text" data-testid="sending">
                  <ClockIcon /> Sending…
                </span>
              ) : (
                <span className="ticks">
                  <CheckIcon />
                </span>
              )}
            </span>
          </div>
        </div>
        {item.state === 'failed' && (
          <div className="failed-actions">
            {item.error && <span>{item.error}</span>}
            <button className="link-button" onClick={() => client.retry(item.client_msg_id)} data-testid="retry">
              Retry
            </button>
            <button className="link-button danger" onClick={() => client.discard(item.client_msg_id)}>
              Delete
            </button>
          </div>
        )}
      </div>
    </div>
  );
}

function buildRows(all: readonly EventDto[], me: number, unreadAtOpen: { after: number; through: number }, messages: RoomState['messages']): Row[] {
  // Operations show on their message, not as rows of their own; messages I hid are not shown.
  const events = all.filter((e) => !operationKinds.has(e.kind) && !(e.kind === 'message' && messages.get(e.seq)?.hidden));
  const rows: Row[] = [];
  let prev: EventDto | null = null;
  let unreadShown = false;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (!prev || !sameDay(prev.ts, e.ts)) rows.push({ kind: 'day', key: `day-${e.seq}`, ts: e.ts });
    if (!unreadShown && e.kind === 'message' && e.sender !== me && e.seq > unreadAtOpen.after && e.seq <= unreadAtOpen.through) {
      unreadShown = true;
      rows.push({ kind: 'unread', key: 'unread' });
    }
    if (e.kind !== 'message') {
      rows.push({ kind: 'system', key: `e-${e.seq}`, event: e });
      prev = e;
      continue;
    }
    const next = events[i + 1];
    const first = !prev || prev.kind !== 'message' || prev.sender !== e.sender || e.ts - prev.ts > GROUP_MS || !sameDay(prev.ts, e.ts);
    const last =
      !next || next.kind !== 'message' || next.sender !== e.sender || next.ts - e.ts > GROUP_MS || !sameDay(e.ts, next.ts);
    rows.push({ kind: 'message', key: `e-${e.seq}`, event: e, first, last });
    prev = e;
  }
  return rows;
}

function systemText(client: LimeClient, room: RoomState, e: EventDto): string {
  const who = (id: number) => (id === client.me?.id ? 'You' : client.displayName(id));
  const list = (ids: readonly number[] | null | undefined) => (ids ?? []).map(who).join(', ');
  switch (e.kind) {
    case 'room_created':
      if (room.room.kind === 'direct') return 'Chat started';
      return `${who(e.sender)} created the ${room.room.kind} “${e.name ?? room.room.name ?? ''}”`;
    case 'members_joined':
      return `${list(e.users)} joined`;
    case 'members_added':
      return `${who(e.sender)} added ${list(e.users)}`;
    case 'member_left':
      return `${list(e.users)} left`;
    case 'member_removed':
      return `${who(e.sender)} removed ${list(e.users)}`;
    case 'role_changed':
      return `${list(e.users)} ${e.users?.length === 1 && e.users[0] === client.me?.id ? 'are' : 'is'} now ${e.role ?? 'member'}`;
    case 'member_banned':
      return `${who(e.sender)} banned ${list(e.users)}`;
    case 'member_unbanned':
      return `${who(e.sender)} unbanned ${list(e.users)}`;
    case 'member_muted':
      return `${who(e.sender)} muted ${list(e.users)}${e.until && e.until < 8e15 ? ` until ${formatTime(e.until)}` : ''}`;
    case 'member_unmuted':
      return `${who(e.sender)} unmuted ${list(e.users)}`;
    case 'room_updated':
      return e.name ? `${who(e.sender)} renamed the room “${e.name}”` : `${who(e.sender)} updated the room`;
    case 'room_deleted':
      return `${who(e.sender)} deleted the room`;
    case 'invite_created':
      return `${who(e.sender)} created an invite link`;
    case 'invite_revoked':
      return `${who(e.sender)} revoked an invite link`;
    case 'join_requested':
      return `${who(e.sender)} asked to join`;
    case 'join_rejected':
      return `${who(e.sender)} declined ${list(e.users)}’s request to join`;
    default:
      return e.kind;
  }
}
