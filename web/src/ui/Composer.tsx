import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { LimeClient, RoomState } from '../sdk/client';
import type { EventDto } from '../sdk/types';
import { CloseIcon, ReplyIcon, SendIcon } from './icons';

const encoder = new TextEncoder();

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
}: {
  client: LimeClient;
  room: RoomState;
  replyTo: EventDto | null;
  onCancelReply: () => void;
  onSent: () => void;
}) {
  const id = room.room.id;
  const [text, setText] = useState(() => drafts.get(id) ?? '');
  const composing = useRef(false);
  const area = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    area.current?.focus();
  }, [id, replyTo]);

  useEffect(() => {
    // Grow with the text, up to the CSS max-height.
    const el = area.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${el.scrollHeight}px`;
  }, [text]);

  const bytes = encoder.encode(text).length;
  const tooLong = bytes > client.maxTextBytes;
  const canSend = text.trim().length > 0 && !tooLong;

  function send() {
    if (!canSend) return;
    client.send(id, text, { replyTo: replyTo?.seq });
    setText('');
    drafts.delete(id);
    onSent();
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key !== 'Enter' || e.shiftKey || e.altKey) return;
    if (e.nativeEvent.isComposing || composing.current || e.keyCode === 229) return;
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
          placeholder="Message"
          aria-label="Message"
          data-testid="composer"
          onChange={(e) => {
            setText(e.target.value);
            drafts.set(id, e.target.value);
            if (e.target.value.trim()) client.typing(id);
          }}
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
