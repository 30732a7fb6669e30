import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { LimeClient, RoomState } from '../sdk/client';
import type { EventDto, MemberDto } from '../sdk/types';
import { formatTime } from './format';
import { CloseIcon, ReplyIcon, SendIcon } from './icons';
import { isMuted } from './MemberPanel';

const encoder = new TextEncoder();

/** `@` and the word being typed before the caret (at the start or after a space). */
const MENTION_AT_CARET = /(?:^|\s)@([\p{L}\p{N}_.-]*)$/u;
/** Every `@name` in a text. */
const MENTION_TOKENS = /(?:^|\s)@([\p{L}\p{N}_.-]+)/gu;

type Suggestion = { kind: 'member'; member: MemberDto } | { kind: 'room' };

/** Members (and `@room`) matching what follows the `@`: username or display name prefix, case-insensitive. */
export function suggestMentions(members: Iterable<MemberDto>, query: string, me: number | undefined, allowRoom: boolean): Suggestion[] {
  const q = query.toLowerCase();
  const out: Suggestion[] = [];
  for (const m of members) {
    if (m.user_id === me) continue;
    if (m.username.toLowerCase().startsWith(q) || m.display_name.toLowerCase().startsWith(q)) out.push({ kind: 'member', member: m });
  }
  out.sort((a, b) => (a.kind === 'member' && b.kind === 'member' ? a.member.username.localeCompare(b.member.username) : 0));
  const list = out.slice(0, 6);
  if (allowRoom && 'room'.startsWith(q)) list.push({ kind: 'room' });
  return list;
}

/** The structured mentions of a text: the members whose `@username` it holds, and whether it says `@room`. */
export function mentionsIn(text: string, members: Iterable<MemberDto>, me: number | undefined, allowRoom: boolean): { mentions: number[]; mentionRoom: boolean } {
  const byName = new Map<string, number>();
  for (const m of members) byName.set(m.username.toLowerCase(), m.user_id);
  const ids = new Set<number>();
  let mentionRoom = false;
  for (const match of text.matchAll(MENTION_TOKENS)) {
    const name = match[1].replace(/[.,!?:;-]+$/, '').toLowerCase();
    const id = byName.get(name);
    if (id !== undefined && id !== me) ids.add(id);
    else if (name === 'room' && allowRoom) mentionRoom = true;
  }
  return { mentions: [...ids], mentionRoom };
}

/**
 * The message box. Enter sends, Shift+Enter adds a line. While an input method is composing (Korean, Japanese,
 * Chinese…) Enter only finishes the syllable: the key event is ignored when `isComposing` is set, when the browser
 * reports key code 229 (Safari fires compositionend before that keydown), or between compositionstart and
 * compositionend — so half a syllable is never sent.
 */
export function Composer({
  client,
  room,
  replyTo,
  onCancelReply,
  onSent,
  onEditLast,
  focusKey,
  disabledReason,
}: {
  client: LimeClient;
  room: RoomState;
  replyTo: EventDto | null;
  onCancelReply: () => void;
  onSent: () => void;
  /** Up arrow in an empty box: edit my last message. */
  onEditLast: () => boolean;
  /** Changes when the focus should come back here (an edit ended). */
  focusKey: number;
  /** Sending is not possible here (I blocked the other person). */
  disabledReason?: string;
}) {
  const id = room.room.id;
  const me = client.me?.id;
  const [text, setText] = useState(() => drafts.get(id) ?? '');
  const [caret, setCaret] = useState(0);
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState<string | null>(null);
  const composing = useRef(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const mine = me !== undefined ? room.members?.get(me) : undefined;
  const muted = isMuted(mine) || disabledReason !== undefined;
  const allowRoom = room.room.kind !== 'direct';

  useEffect(() => {
    area.current?.focus();
  }, [id, replyTo, focusKey]);

  // Mention autocomplete: what follows an `@` before the caret, matched against the room's members.
  const at = MENTION_AT_CARET.exec(text.slice(0, caret));
  const query = at ? at[1] : null;
  const suggestions = query !== null && query !== dismissed && room.members ? suggestMentions(room.members.values(), query, me, allowRoom) : [];
  const open = suggestions.length > 0;
  const activeIndex = Math.min(active, Math.max(0, suggestions.length - 1));

  function choose(s: Suggestion) {
    if (query === null) return;
    const start = caret - query.length - 1;
    const insert = s.kind === 'room' ? '@room ' : `@${s.member.username} `;
    const next = text.slice(0, start) + insert + text.slice(caret);
    setText(next);
    drafts.set(id, next);
    const pos = start + insert.length;
    setCaret(pos);
    setActive(0);
    requestAnimationFrame(() => {
      area.current?.focus();
      area.current?.setSelectionRange(pos, pos);
    });
  }

  useEffect(() => {
    // Grow with the text, up to the CSS max-height.
    const el = area.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${el.scrollHeight}px`;
  }, [text]);

  const bytes = encoder.encode(text).length;
  const tooLong = bytes > client.maxTextBytes;
  const canSend = text.trim().length > 0 && !tooLong && !muted;

  function send() {
    if (!canSend) return;
    const m = mentionsIn(text, room.members?.values() ?? [], me, allowRoom);
    client.send(id, text, { replyTo: replyTo?.seq, mentions: m.mentions, mentionRoom: m.mentionRoom });
    setText('');
    setCaret(0);
    drafts.delete(id);
    onSent();
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.nativeEvent.isComposing || composing.current || e.keyCode === 229) return;
    if (open) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const n = suggestions.length;
        setActive((activeIndex + (e.key === 'ArrowDown' ? 1 : n - 1)) % n);
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        choose(suggestions[activeIndex]);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        setDismissed(query);
        return;
      }
    }
    if (e.key === 'ArrowUp' && text === '' && !e.shiftKey) {
      if (onEditLast()) e.preventDefault();
      return;
    }
    if (e.key !== 'Enter' || e.shiftKey || e.altKey) return;
    e.preventDefault();
    send();
  }

  return (
    <div className="composer-wrap">
      {replyTo && (
        <div className="reply-bar" data-testid="reply-bar">
          <ReplyIcon />
          <div className="reply-bar-text">
            <strong>Replying to {client.displayName(replyTo.sender)}</strong>
            <span>{replyTo.text}</span>
          </div>
          <button className="icon-button" aria-label="Cancel reply" onClick={onCancelReply}>
            <CloseIcon />
          </button>
        </div>
      )}
      {open && (
        <ul className="mention-list" role="listbox" id={`mentions-${id}`} aria-label="Mention someone" data-testid="mention-list">
          {suggestions.map((s, i) => (
            <li
              key={s.kind === 'room' ? 'room' : s.member.user_id}
              id={`mention-${id}-${i}`}
              role="option"
              aria-selected={i === activeIndex}
              className={i === activeIndex ? 'active' : ''}
              data-testid="mention-option"
              onMouseDown={(e) => {
                e.preventDefault(); // keep the focus in the box
                choose(s);
              }}
            >
              {s.kind === 'room' ? (
                <>
                  <strong>@room</strong> <span className="muted">everyone in this room</span>
                </>
              ) : (
                <>
                  <strong>{s.member.display_name}</strong> <span className="muted">@{s.member.username}</span>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      <form
        className="composer"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        <textarea
          ref={area}
          rows={1}
          value={text}
          placeholder={disabledReason ?? (muted ? `You are muted in this room${mine?.muted_until && mine.muted_until < 8e15 ? ` until ${formatTime(mine.muted_until)}` : ''}` : 'Message')}
          aria-label="Message"
          data-testid="composer"
          disabled={muted}
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={open}
          aria-controls={open ? `mentions-${id}` : undefined}
          aria-activedescendant={open ? `mention-${id}-${activeIndex}` : undefined}
          onChange={(e) => {
            setText(e.target.value);
            setCaret(e.target.selectionStart);
            setActive(0);
            drafts.set(id, e.target.value);
            if (e.target.value.trim()) client.typing(id);
          }}
          onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
          onCompositionStart={() => {
            composing.current = true;
          }}
          onCompositionEnd={() => {
            composing.current = false;
          }}
          onKeyDown={onKeyDown}
        />
        <button className="send-button" type="submit" disabled={!canSend} aria-label="Send" data-testid="send-button">
          <SendIcon />
        </button>
      </form>
      {tooLong && <div className="composer-hint">Too long: {bytes.toLocaleString()} of {client.maxTextBytes.toLocaleString()} bytes.</div>}
    </div>
  );
}

/** Unsent drafts per room, kept while the page lives. */
const drafts = new Map<number, string>();
