import { useEffect, useState } from 'react';
import type { LimeClient, RoomState } from '../sdk/client';
import { describeError } from '../sdk/errors';
import type { EventDto } from '../sdk/types';
import { Avatar } from './Avatar';
import { Composer } from './Composer';
import { formatLastSeen } from './format';
import { BackIcon } from './icons';
import { MessageList } from './MessageList';
import { navigate } from './router';

/** One open room: header, the message timeline, typing line and composer. Marks the room read while visible. */
export function ChatView({ client, room }: { client: LimeClient; room: RoomState }) {
  const id = room.room.id;
  const [replyTo, setReplyTo] = useState<EventDto | null>(null);
  // What was unread when the chat was opened (for the "Unread messages" divider).
  const [unreadAtOpen] = useState(() => ({
    after: room.readSeq,
    through: room.events.length ? room.events[room.events.length - 1].seq : room.base,
  }));
  const [error, setError] = useState<string | null>(null);
  const title = client.roomTitle(room.room);
  const peer = room.room.kind === 'direct' ? room.room.peer ?? null : null;

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
          <button className="ghost small" onClick={() => void leave()}>
            Leave
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
      <MessageList client={client} room={room} unreadAtOpen={unreadAtOpen} onReply={setReplyTo} />
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
      <Composer client={client} room={room} replyTo={replyTo} onCancelReply={() => setReplyTo(null)} onSent={() => setReplyTo(null)} />
    </div>
  );
}
