import { useEffect, useState, useSyncExternalStore } from 'react';
import type { LimeClient } from '../sdk/client';
import { Avatar } from './Avatar';
import { ChatView } from './ChatView';
import { ConnectionBanner } from './ConnectionBanner';
import { ComposeIcon, Logo, LogoutIcon, SearchIcon } from './icons';
import { NewChatDialog } from './NewChatDialog';
import { RoomList } from './RoomList';
import { InviteScreen } from './InviteScreen';
import { SearchPanel } from './SearchPanel';
import { navigate, nextJumpId, useRoute } from './router';

/** The signed-in app: room list on the left, the open chat on the right (one column on narrow screens). */
export function Messenger({ client, onSignOut }: { client: LimeClient; onSignOut: () => void }) {
  useSyncExternalStore(client.subscribe, client.getVersion);
  const roomId = useRoute();
  const [dialog, setDialog] = useState(false);
  const [searching, setSearching] = useState(false);
  // An invite link opened: /?invite=CODE.
  const [invite, setInvite] = useState(() => new URLSearchParams(window.location.search).get('invite'));
  // A message to show when its room opens (a search result): room, seq, and a counter to ask again.
  const [jump, setJump] = useState<{ room: number; seq: number; n: number } | null>(null);
  const me = client.me;
  const total = client.totalUnread();

  useEffect(() => {
    document.title = total > 0 ? `(${total}) LIME` : 'LIME';
  }, [total]);

  const room = roomId !== null ? client.room(roomId) : undefined;
  const ready = client.connection.ready;
  useEffect(() => {
    // A room that is gone (left, or never ours) closes once the room list is known.
    if (roomId !== null && ready && !room) navigate(null, true);
  }, [roomId, ready, room]);

  if (!me) return null;
  return (
    <div className={`app ${roomId !== null ? 'has-room' : ''}`}>
      <aside className="sidebar">
        <header className="sidebar-header">
          <div className="me">
            <Avatar name={me.display_name} seed={me.id} size={36} />
            <div className="me-text">
              <strong>{me.display_name}</strong>
              <span className="muted">@{me.username}</span>
            </div>
          </div>
          <div className="header-actions">
            <button
              className={`icon-button ${searching ? 'active' : ''}`}
              title="Search messages"
              aria-label="Search messages"
              aria-pressed={searching}
              onClick={() => setSearching((v) => !v)}
              data-testid="search-button"
            >
              <SearchIcon />
            </button>
            <button className="icon-button" title="New chat" aria-label="New chat" onClick={() => setDialog(true)} data-testid="new-chat">
              <ComposeIcon />
            </button>
            <button
              className="icon-button"
              title="Sign out"
              aria-label="Sign out"
              onClick={() => {
                onSignOut();
                void client.logout();
              }}
            >
              <LogoutIcon />
            </button>
          </div>
        </header>
        {searching ? (
          <SearchPanel
            client={client}
            onClose={() => setSearching(false)}
            onOpen={(room, seq) => {
              setJump({ room, seq, n: nextJumpId() });
              navigate(room);
            }}
          />
        ) : (
          <RoomList client={client} activeRoom={roomId} onNewChat={() => setDialog(true)} />
        )}
      </aside>
      <section className="main">
        <ConnectionBanner client={client} />
        {invite ? (
          <InviteScreen
            client={client}
            code={invite}
            onDone={(id) => {
              setInvite(null);
              if (id !== null) navigate(id, true);
              else window.history.replaceState(null, '', window.location.pathname);
            }}
          />
        ) : room ? (
          <ChatView key={room.room.id} client={client} room={room} jump={jump?.room === room.room.id ? jump : null} />
        ) : (
          <div className="empty-chat">
            <Logo size={72} />
            <h2>{roomId !== null && !ready ? 'Loading…' : 'Welcome to LIME'}</h2>
            <p className="muted">Pick a chat on the left, or start a new one.</p>
            <button className="primary" onClick={() => setDialog(true)}>
              Start a chat
            </button>
          </div>
        )}
      </section>
      {dialog && (
        <NewChatDialog
          client={client}
          onClose={() => setDialog(false)}
          onOpen={(id) => {
            setDialog(false);
            navigate(id);
          }}
        />
      )}
    </div>
  );
}
