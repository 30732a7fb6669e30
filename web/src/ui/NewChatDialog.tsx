import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { LimeClient } from '../sdk/client';
import { describeError, LimeError } from '../sdk/errors';
import type { RoomDto } from '../sdk/types';
import { Avatar } from './Avatar';
import { CloseIcon, SearchIcon } from './icons';

type Tab = 'direct' | 'group' | 'channels';

/** Start a direct chat (from contacts or a username), create a group, or browse, search and join open channels. */
export function NewChatDialog({ client, onClose, onOpen }: { client: LimeClient; onClose: () => void; onOpen: (roomId: number) => void }) {
  const [tab, setTab] = useState<Tab>('direct');
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);

  return (
    <dialog ref={dialog} className="dialog" onClose={onClose} onCancel={onClose} aria-label="New chat" data-testid="new-chat-dialog">
      <header className="dialog-header">
        <h2>New chat</h2>
        <button className="icon-button" aria-label="Close" onClick={onClose}>
          <CloseIcon />
        </button>
      </header>
      <div className="tabs" role="tablist">
        {(['direct', 'group', 'channels'] as const).map((t) => (
          <button key={t} role="tab" aria-selected={tab === t} className={tab === t ? 'active' : ''} onClick={() => setTab(t)}>
            {t === 'direct' ? 'Direct' : t === 'group' ? 'Group' : 'Channels'}
          </button>
        ))}
      </div>
      <div className="dialog-body">
        {tab === 'direct' && <DirectTab client={client} onOpen={onOpen} />}
        {tab === 'group' && <GroupTab client={client} onOpen={onOpen} />}
        {tab === 'channels' && <ChannelsTab client={client} onOpen={onOpen} />}
      </div>
    </dialog>
  );
}

function useAction(): [boolean, string | null, (f: () => Promise<void>) => Promise<void>] {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (f: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await f();
    } catch (e) {
      if (e instanceof LimeError && e.code === 'not_found') setError('No user with that name.');
      else setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return [busy, error, run];
}

function DirectTab({ client, onOpen }: { client: LimeClient; onOpen: (id: number) => void }) {
  const [username, setUsername] = useState('');
  const [busy, error, run] = useAction();
  const contacts = client.contacts();

  function submit(e: FormEvent) {
    e.preventDefault();
    void run(async () => {
      const name = username.trim().replace(/^@/, '');
      if (name.toLowerCase() === client.me?.username) throw new Error('That is you. Pick someone else.');
      const room = await client.directWithUsername(name);
      onOpen(room.id);
    });
  }

  return (
    <>
      <form className="inline-form" onSubmit={submit}>
        <label className="grow">
          <span className="sr-only">Username</span>
          <input placeholder="Username" aria-label="Username" value={username} onChange={(e) => setUsername(e.target.value)} autoFocus autoCapitalize="none" spellCheck={false} />
        </label>
        <button className="primary" type="submit" disabled={busy || !username.trim()}>
          Start chat
        </button>
      </form>
      {error && <p className="form-error" role="alert">{error}</p>}
      <h3 className="section-title">Contacts</h3>
      {contacts.length === 0 ? (
        <p className="muted small-text">People you chat with become contacts; their online status shows here.</p>
      ) : (
        <ul className="pick-list">
          {contacts.map((c) => (
            <li key={c.user_id}>
              <button
                className="pick"
                disabled={busy}
                onClick={() =>
                  void run(async () => {
                    const room = await client.directWith({ id: c.user_id });
                    onOpen(room.id);
                  })
                }
              >
                <Avatar name={c.display_name} seed={c.user_id} size={36} online={client.presenceOf(c.user_id)?.online} />
                <span className="pick-text">
                  <strong>{c.display_name}</strong>
                  <span className="muted">@{c.username}</span>
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function GroupTab({ client, onOpen }: { client: LimeClient; onOpen: (id: number) => void }) {
  const [name, setName] = useState('');
  const [members, setMembers] = useState('');
  const [busy, error, run] = useAction();
  const contacts = client.contacts();
  const names = members.split(/[\s,]+/).map((m) => m.replace(/^@/, '')).filter(Boolean);

  function toggle(username: string) {
    const set = new Set(names);
    if (set.has(username)) set.delete(username);
    else set.add(username);
    setMembers([...set].join(', '));
  }

  return (
    <form
      className="stack-form"
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          const room = await client.createGroup(name.trim(), names);
          onOpen(room.id);
        });
      }}
    >
      <label>
        Group name
        <input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} required autoFocus />
      </label>
      <label>
        Members <span className="optional">(usernames, separated by commas)</span>
        <input value={members} onChange={(e) => setMembers(e.target.value)} placeholder="alice, bob" autoCapitalize="none" spellCheck={false} />
      </label>
      {contacts.length > 0 && (
        <div className="chips">
          {contacts.map((c) => (
            <button type="button" key={c.user_id} className={`chip ${names.includes(c.username) ? 'on' : ''}`} onClick={() => toggle(c.username)}>
              {c.display_name}
            </button>
          ))}
        </div>
      )}
      {error && <p className="form-error" role="alert">{error}</p>}
      <button className="primary" type="submit" disabled={busy || !name.trim()}>
        Create group
      </button>
    </form>
  );
}

function ChannelsTab({ client, onOpen }: { client: LimeClient; onOpen: (id: number) => void }) {
  const [q, setQ] = useState('');
  const [channels, setChannels] = useState<RoomDto[] | null>(null);
  const [newName, setNewName] = useState('');
  const [topic, setTopic] = useState('');
  const [busy, error, run] = useAction();
  // Channels that need approval, whose join request this dialog sent.
  const [requested, setRequested] = useState<ReadonlySet<number>>(() => new Set());

  useEffect(() => {
    let live = true;
    const t = setTimeout(() => {
      client.api.channels(q.trim() || undefined).then(
        (r) => live && setChannels(r.channels),
        () => live && setChannels([]),
      );
    }, 200);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [client, q]);

  return (
    <>
      <div className="search in-dialog">
        <SearchIcon />
        <input placeholder="Search channels" aria-label="Search channels" value={q} onChange={(e) => setQ(e.target.value)} autoFocus />
      </div>
      {error && <p className="form-error" role="alert">{error}</p>}
      <ul className="pick-list channels">
        {channels === null && <li className="muted small-text">Loading…</li>}
        {channels?.length === 0 && <li className="muted small-text">No channels{q ? ` starting with “${q}”` : ''} yet.</li>}
        {channels?.map((c) => {
          const member = client.room(c.id) !== undefined;
          const pending = !member && requested.has(c.id);
          return (
            <li key={c.id} className="channel-row" data-testid="channel-row" data-name={c.name ?? ''}>
              <Avatar name={c.name ?? ''} seed={c.id} size={36} kind="channel" />
              <span className="pick-text">
                <strong>{c.name}</strong>
                <span className="muted">
                  {c.member_count} member{c.member_count === 1 ? '' : 's'}
                  {c.topic ? ` · ${c.topic}` : ''}
                  {c.approval_required ? ' · approval required' : ''}
                </span>
              </span>
              {pending ? (
                <span className="muted small-text" role="status" data-testid="join-requested">
                  Request sent
                </span>
              ) : (
                <button
                  className={member ? 'ghost small' : 'primary small'}
                  disabled={busy}
                  onClick={() =>
                    void run(async () => {
                      if (!member) {
                        const outcome = await client.joinChannel(c.id);
                        // Approval required: a join request is waiting for an owner or admin; nothing to open yet.
                        if (outcome.pending) {
                          setRequested((r) => new Set(r).add(c.id));
                          return;
                        }
                      }
                      onOpen(c.id);
                    })
                  }
                >
                  {member ? 'Open' : c.approval_required ? 'Ask to join' : 'Join'}
                </button>
              )}
            </li>
          );
        })}
      </ul>
      <form
        className="stack-form create-channel"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const room = await client.createChannel(newName.trim(), topic.trim() || undefined);
            onOpen(room.id);
          });
        }}
      >
        <h3 className="section-title">Create a channel</h3>
        <div className="inline-form">
          <input placeholder="Channel name" aria-label="Channel name" value={newName} onChange={(e) => setNewName(e.target.value)} maxLength={100} className="grow" />
          <input placeholder="Topic (optional)" aria-label="Topic" value={topic} onChange={(e) => setTopic(e.target.value)} maxLength={1000} className="grow" />
          <button className="primary" type="submit" disabled={busy || !newName.trim()}>
            Create
          </button>
        </div>
      </form>
    </>
  );
}
