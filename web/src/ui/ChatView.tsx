import { useCallback, useEffect, useMemo, useState } from 'react';
import type { LimeClient, RoomState } from '../sdk/client';
import { describeError } from '../sdk/errors';
import type { EventDto, MemberDto } from '../sdk/types';
import { Avatar } from './Avatar';
import { Composer } from './Composer';
import { formatLastSeen } from './format';
import { BackIcon, SettingsIcon, UsersIcon } from './icons';
import { ConfirmDialog, type ConfirmRequest } from './MessageActions';
import { MemberPanel } from './MemberPanel';
import { MessageList, type MessageHandlers } from './MessageList';
import { PinnedBar } from './PinnedBar';
import { RoomSettingsDialog } from './RoomSettingsDialog';
import { navigate, nextJumpId } from './router';

/** One open room: header, the message timeline, typing line and composer. Marks the room read while visible. */
export function ChatView({ client, room, jump }: { client: LimeClient; room: RoomState; jump: { seq: number; n: number } | null }) {
  const id = room.room.id;
  const [replyTo, setReplyTo] = useState<EventDto | null>(null);
  // What was unread when the chat was opened (for the "Unread messages" divider).
  const [unreadAtOpen] = useState(() => ({
    after: room.readSeq,
    through: room.events.length ? room.events[room.events.length - 1].seq : room.base,
  }));
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<number | null>(null);
  const [focusKey, setFocusKey] = useState(0);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const [showMembers, setShowMembers] = useState(false);
  const [settings, setSettings] = useState(false);
  // Direct chats: whether I block the other person (private to me; docs/protocol.md §11).
  const [blocked, setBlocked] = useState(false);
  const [pinJump, setPinJump] = useState<{ seq: number; n: number } | null>(null);
  // The latest request wins: a pinned message clicked here, or a search result opened from the sidebar.
  const jumpTo = pinJump && (!jump || pinJump.n > jump.n) ? pinJump : jump;
  const title = client.roomTitle(room.room);
  const peer = room.room.kind === 'direct' ? room.room.peer ?? null : null;
  const moderator = room.room.my_role === 'owner' || room.room.my_role === 'admin';
  const canPin = moderator || room.room.kind === 'direct';

  // The members: for @mentions, the member list and my own mute.
  useEffect(() => {
    void client.loadMembers(id);
  }, [client, id]);

  useEffect(() => {
    if (peer === null) return;
    let live = true;
    client.api.blocks().then(
      (r) => live && setBlocked(r.blocks.some((b) => b.user_id === peer)),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [client, peer]);

  const act = useCallback((f: () => Promise<unknown>) => {
    setError(null);
    f().catch((e: unknown) => setError(describeError(e)));
  }, []);
  const endEdit = useCallback(() => {
    setEditing(null);
    setFocusKey((k) => k + 1);
  }, []);

  const handlers = useMemo<MessageHandlers>(
    () => ({
      reply: (e: EventDto) => setReplyTo(e),
      startEdit: (seq) => setEditing(seq),
      saveEdit: (seq, text) => {
        endEdit();
        act(() => client.editMessage(id, seq, text));
      },
      cancelEdit: endEdit,
      delete: (seq) =>
        setConfirm({
          title: 'Delete this message for everyone?',
          body: 'Everyone in the chat will see “Message deleted” instead.',
          confirmLabel: 'Delete',
          run: () => act(() => client.deleteForEveryone(id, seq)),
        }),
      hide: (seq) => act(() => client.hideForMe(id, seq)),
      toggleReaction: (seq, emoji, mine) => act(() => client.toggleReaction(id, seq, emoji, mine)),
      pin: (seq, pin) => act(() => (pin ? client.pin(id, seq) : client.unpin(id, seq))),
    }),
    [act, client, endEdit, id],
  );

  const editLast = useCallback((): boolean => {
    const me = client.me?.id;
    const current = client.room(id);
    const events = current?.events ?? [];
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i];
      const m = current?.messages.get(e.seq);
      if (e.kind === 'message' && e.sender === me && m && !m.deleted && !m.hidden) {
        setEditing(e.seq);
        return true;
      }
    }
    return false;
  }, [client, id]);

  const moderate = {
    mute: (m: MemberDto, mute: boolean) => act(() => (mute ? client.mute(id, m.user_id, 3600) : client.unmute(id, m.user_id))),
    kick: (m: MemberDto) =>
      setConfirm({
        title: `Remove ${m.display_name}?`,
        body: 'They leave the room now and can be added again.',
        confirmLabel: 'Remove',
        run: () => act(() => client.kick(id, m.user_id)),
      }),
    ban: (m: MemberDto) =>
      setConfirm({
        title: `Ban ${m.display_name}?`,
        body: 'They leave the room now and cannot rejoin or be added back until unbanned.',
        confirmLabel: 'Ban',
        run: () => act(() => client.ban(id, m.user_id)),
      }),
  };

  // Read state: everything shown in a visible window counts as read.
  const lastSeq = room.events.length ? room.events[room.events.length - 1].seq : room.base;
  const needsRead = room.unread > 0 || lastSeq > room.readSeq;
  useEffect(() => {
    const mark = () => {
      if (document.visibilityState === 'visible') client.markRead(id);
    };
    if (needsRead) mark();
    document.addEventListener('visibilitychange', mark);
    return () => document.removeEventListener('visibilitychange', mark);
  }, [client, id, needsRead, lastSeq]);

  let subtitle: string;
  if (peer !== null) {
    const p = client.presenceOf(peer);
    subtitle = p?.online ? 'online' : p?.lastSeen ? formatLastSeen(p.lastSeen) : '';
  } else {
    subtitle = `${room.room.member_count} member${room.room.member_count === 1 ? '' : 's'}${room.room.topic ? ` · ${room.room.topic}` : ''}`;
  }
  const typers = [...room.typing.keys()].map((u) => client.displayName(u));

  async function leave() {
    if (!window.confirm(`Leave “${title}”?`)) return;
    try {
      await client.leave(id);
      navigate(null);
    } catch (e) {
      setError(describeError(e));
    }
  }

  return (
    <div className="chat" data-testid="chat-view" data-room-id={id}>
      <header className="chat-header">
        <button className="icon-button back" aria-label="Back to chats" onClick={() => navigate(null)}>
          <BackIcon />
        </button>
        <Avatar name={title} seed={peer ?? id} size={40} online={peer !== null && client.presenceOf(peer)?.online === true} kind={room.room.kind} />
        <div className="chat-title">
          <h2 data-testid="chat-title">{title}</h2>
          <span className={`muted ${subtitle === 'online' ? 'online-text' : ''}`} data-testid="chat-subtitle">
            {typers.length ? 'typing…' : subtitle}
          </span>
        </div>
        {room.room.kind !== 'direct' && (
          <button
            className={`icon-button ${showMembers ? 'active' : ''}`}
            aria-label="Members"
            title="Members"
            aria-expanded={showMembers}
            onClick={() => setShowMembers((v) => !v)}
            data-testid="members-button"
          >
            <UsersIcon />
          </button>
        )}
        {moderator && room.room.kind !== 'direct' && (
          <button className="icon-button" aria-label="Room settings" title="Room settings" onClick={() => setSettings(true)} data-testid="settings-button">
            <SettingsIcon />
          </button>
        )}
        {room.room.kind !== 'direct' && (
          <button className="ghost small" onClick={() => void leave()}>
            Leave
          </button>
        )}
        {peer !== null && (
          <button
            className="ghost small"
            data-testid="block-button"
            onClick={() =>
              blocked
                ? act(async () => {
                    await client.api.unblock(peer);
                    setBlocked(false);
                  })
                : setConfirm({
                    title: `Block ${title}?`,
                    body: 'Neither of you can send here or see the other’s online status until you unblock. They are not told.',
                    confirmLabel: 'Block',
                    run: () =>
                      act(async () => {
                        await client.api.block(peer);
                        setBlocked(true);
                      }),
                  })
            }
          >
            {blocked ? 'Unblock' : 'Block'}
          </button>
        )}
      </header>
      {error && (
        <div className="inline-error" role="alert">
          {error}
          <button className="link-button" onClick={() => setError(null)}>
            Dismiss
          </button>
        </div>
      )}
      <PinnedBar
        client={client}
        room={room}
        canPin={canPin}
        onJump={(seq) => setPinJump({ seq, n: nextJumpId() })}
        onUnpin={(seq) => act(() => client.unpin(id, seq))}
      />
      <div className="chat-body">
        <MessageList client={client} room={room} unreadAtOpen={unreadAtOpen} handlers={handlers} editing={editing} jumpTo={jumpTo} />
        {showMembers && room.room.kind !== 'direct' && (
          <MemberPanel client={client} room={room} onClose={() => setShowMembers(false)} onMute={moderate.mute} onKick={moderate.kick} onBan={moderate.ban} />
        )}
      </div>
      <div className="typing-line" aria-live="polite" data-testid="typing-indicator">
        {typers.length > 0 && (
          <>
            <span className="typing-dots">
              <i />
              <i />
              <i />
            </span>
            {typers.length === 1 ? `${typers[0]} is typing…` : `${typers.slice(0, 2).join(', ')}${typers.length > 2 ? ' and others' : ''} are typing…`}
          </>
        )}
      </div>
      <Composer
        client={client}
        room={room}
        replyTo={replyTo}
        onCancelReply={() => setReplyTo(null)}
        onSent={() => setReplyTo(null)}
        onEditLast={editLast}
        focusKey={focusKey}
        disabledReason={blocked ? 'You blocked this person. Unblock to send messages.' : undefined}
      />
      {settings && <RoomSettingsDialog client={client} room={room} onClose={() => setSettings(false)} />}
      {confirm && <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />}
    </div>
  );
}
