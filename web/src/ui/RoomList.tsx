import { useMemo, useState } from 'react';
import type { LimeClient, RoomState } from '../sdk/client';
import { neutraliseBidi } from './linkify';
import { Avatar } from './Avatar';
import { formatListTime } from './format';
import { SearchIcon } from './icons';
import { navigate } from './router';

/** My rooms, most recent activity first, with last message preview, unread badge and presence dot. */
export function RoomList({ client, activeRoom, onNewChat }: { client: LimeClient; activeRoom: number | null; onNewChat: () => void }) {
  const [filter, setFilter] = useState('');
  const rooms = client.rooms();
  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    return f ? rooms.filter((r) => client.roomTitle(r.room).toLowerCase().includes(f)) : rooms;
  }, [rooms, filter, client]);

  return (
    <>
      <div className="search">
        <SearchIcon />
        <input placeholder="Search chats" value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Search chats" />
      </div>
      <nav className="room-list" aria-label="Chats" data-testid="room-list">
        {!client.connection.ready && rooms.length === 0 && (
          <div className="room-skeletons" aria-label="Loading chats">
            {[0, 1, 2, 3].map((i) => (
              <div key={i} className="room-skeleton" />
            ))}
          </div>
        )}
        {client.connection.ready && rooms.length === 0 && (
          <div className="room-list-empty">
            <p>No chats yet.</p>
            <button className="primary" onClick={onNewChat}>
              Start a conversation
            </button>
          </div>
        )}
        {shown.map((r) => (
          <RoomItem key={r.room.id} client={client} room={r} active={r.room.id === activeRoom} />
        ))}
      </nav>
    </>
  );
}

function RoomItem({ client, room, active }: { client: LimeClient; room: RoomState; active: boolean }) {
  const title = client.roomTitle(room.room);
  const peer = room.room.kind === 'direct' ? room.room.peer : null;
  const online = peer ? client.presenceOf(peer)?.online === true : false;
  const pending = client.pending(room.room.id);
  const preview = previewOf(client, room, pending.length > 0 ? pending[pending.length - 1].text : null);
  const typing = [...room.typing.keys()];

  return (
    <button
      className={`room-item ${active ? 'active' : ''} ${room.unread > 0 ? 'unread' : ''}`}
      onClick={() => navigate(room.room.id)}
      data-testid="room-item"
      data-room-id={room.room.id}
      data-title={title}
      aria-current={active ? 'page' : undefined}
    >
      <Avatar name={title} seed={peer ?? room.room.id} size={48} online={online} kind={room.room.kind} />
      <span className="room-text">
        <span className="room-line">
          <span className="room-title" data-testid="room-title">
            {title}
          </span>
          <span className="room-time">{formatListTime(room.room.last_activity_at)}</span>
        </span>
        <span className="room-line">
          <span className={`room-preview ${typing.length ? 'typing' : ''}`} data-testid="room-preview">
            {typing.length ? 'typing…' : neutraliseBidi(preview)}
          </span>
          {room.mentioned && (
            <span className="badge mention-badge" data-testid="mention-badge" aria-label="You were mentioned" title="You were mentioned">
              @
            </span>
          )}
          {room.unread > 0 && (
            <span className="badge" data-testid="unread-badge" aria-label={`${room.unread} unread`}>
              {room.unread > 999 ? '999+' : room.unread}
            </span>
          )}
        </span>
      </span>
    </button>
  );
}

function previewOf(client: LimeClient, room: RoomState, pendingText: string | null): string {
  if (pendingText !== null) return `You: ${pendingText}`;
  const m = room.lastMessage;
  if (!m) {
    if (room.room.kind === 'channel') return `${room.room.member_count} members`;
    return room.room.kind === 'direct' ? 'Say hello 👋' : 'No messages yet';
  }
  const text = m.deleted ? 'Message deleted' : (m.text ?? '').replace(/\s+/g, ' ');
  if (m.sender === client.me?.id) return `You: ${text}`;
  if (room.room.kind !== 'direct') return `${client.displayName(m.sender)}: ${text}`;
  return text;
}
