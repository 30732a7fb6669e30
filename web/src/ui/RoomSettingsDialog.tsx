import { useCallback, useEffect, useRef, useState } from 'react';
import type { LimeClient, RoomState } from '../sdk/client';
import { describeError } from '../sdk/errors';
import type { InviteDto, JoinRequestDto } from '../sdk/types';
import { CloseIcon } from './icons';
import { ConfirmDialog } from './MessageActions';
import { navigate } from './router';

type Tab = 'details' | 'invites' | 'requests';

/** The address that opens an invite (the app reads `?invite=` on load). */
export function inviteLink(code: string): string {
  return `${window.location.origin}/?invite=${encodeURIComponent(code)}`;
}

/** Why an invite no longer works, if it does not. */
function inviteState(inv: InviteDto, now = Date.now()): string | null {
  if (inv.revoked) return 'revoked';
  if (inv.expires_at && inv.expires_at < now) return 'expired';
  if (inv.max_uses && inv.uses >= inv.max_uses) return 'used up';
  return null;
}

const EXPIRY: [string, number | undefined][] = [
  ['Never', undefined],
  ['1 hour', 3600],
  ['1 day', 86_400],
  ['7 days', 604_800],
];

/** Room settings for owners and admins (docs/protocol.md §11): name, topic, description, approval; invite links; join requests. */
export function RoomSettingsDialog({ client, room, onClose }: { client: LimeClient; room: RoomState; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [tab, setTab] = useState<Tab>('details');
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const id = room.room.id;

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);

  const run = useCallback(async (f: () => Promise<unknown>, done?: string) => {
    setError(null);
    setNotice(null);
    try {
      await f();
      if (done) setNotice(done);
    } catch (e) {
      setError(describeError(e));
    }
  }, []);

  return (
    <dialog ref={dialog} className="dialog" onClose={onClose} onCancel={onClose} aria-label="Room settings" data-testid="room-settings">
      <header className="dialog-header">
        <h2>Room settings</h2>
        <button className="icon-button" aria-label="Close" onClick={onClose}>
          <CloseIcon />
        </button>
      </header>
      <div className="tabs" role="tablist">
        {(['details', 'invites', 'requests'] as const).map((t) => (
          <button key={t} role="tab" aria-selected={tab === t} className={tab === t ? 'active' : ''} onClick={() => setTab(t)}>
            {t === 'details' ? 'Details' : t === 'invites' ? 'Invite links' : 'Join requests'}
          </button>
        ))}
      </div>
      <div className="dialog-body">
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        {notice && (
          <p className="muted small-text" role="status">
            {notice}
          </p>
        )}
        {tab === 'details' && <Details client={client} room={room} run={run} onDeleted={onClose} />}
        {tab === 'invites' && <Invites client={client} roomId={id} run={run} />}
        {tab === 'requests' && <Requests client={client} roomId={id} run={run} />}
      </div>
    </dialog>
  );
}

type Run = (f: () => Promise<unknown>, done?: string) => Promise<void>;

function Details({ client, room, run, onDeleted }: { client: LimeClient; room: RoomState; run: Run; onDeleted: () => void }) {
  const r = room.room;
  const [confirmDelete, setConfirmDelete] = useState(false);
  const what = r.kind === 'channel' ? 'channel' : 'group';
  const [name, setName] = useState(r.name ?? '');
  const [topic, setTopic] = useState(r.topic ?? '');
  const [description, setDescription] = useState(r.description ?? '');
  const [approval, setApproval] = useState(r.approval_required === true);
  return (
    <form
      className="stack-form"
      onSubmit={(e) => {
        e.preventDefault();
        void run(
          () =>
            client.api.updateRoom(r.id, {
              name: name.trim() !== (r.name ?? '') ? name.trim() : undefined,
              topic: topic.trim() !== (r.topic ?? '') ? topic.trim() : undefined,
              description: description.trim() !== (r.description ?? '') ? description.trim() : undefined,
              approval_required: approval !== (r.approval_required === true) ? approval : undefined,
            }),
          'Saved.',
        );
      }}
    >
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} required />
      </label>
      <label>
        Topic <span className="optional">(optional)</span>
        <input value={topic} onChange={(e) => setTopic(e.target.value)} maxLength={1000} />
      </label>
      <label>
        Description <span className="optional">(optional)</span>
        <textarea value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} rows={3} />
      </label>
      <label className="check">
        <input type="checkbox" checked={approval} onChange={(e) => setApproval(e.target.checked)} />
        Joining needs approval by an owner or admin
      </label>
      <button className="primary" type="submit" disabled={!name.trim()}>
        Save
      </button>
      {r.my_role === 'owner' && (
        <button type="button" className="ghost danger-text" onClick={() => setConfirmDelete(true)}>
          Delete this {what}
        </button>
      )}
      {confirmDelete && (
        <ConfirmDialog
          request={{
            title: `Delete “${r.name ?? ''}”?`,
            body: `Everyone leaves the ${what} and it cannot be opened again.`,
            confirmLabel: 'Delete',
            run: () =>
              void run(async () => {
                await client.api.deleteRoom(r.id);
                client.forgetRoom(r.id);
                onDeleted();
                navigate(null);
              }),
          }}
          onClose={() => setConfirmDelete(false)}
        />
      )}
    </form>
  );
}

function Invites({ client, roomId, run }: { client: LimeClient; roomId: number; run: Run }) {
  const [invites, setInvites] = useState<InviteDto[] | null>(null);
  const [expiry, setExpiry] = useState(0);
  const [maxUses, setMaxUses] = useState('');
  const reload = useCallback(() => client.api.invites(roomId).then((r) => setInvites(r.invites)), [client, roomId]);
  useEffect(() => {
    reload().catch(() => setInvites([]));
  }, [reload]);
  const uses = Number(maxUses);
  return (
    <>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            await client.api.createInvite(roomId, { expires_in_seconds: EXPIRY[expiry][1], max_uses: maxUses ? uses : undefined });
            await reload();
          }, 'Invite link created.');
        }}
      >
        <label>
          Expires
          <select value={expiry} onChange={(e) => setExpiry(Number(e.target.value))}>
            {EXPIRY.map(([label], i) => (
              <option key={label} value={i}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Max uses
          <input inputMode="numeric" value={maxUses} onChange={(e) => setMaxUses(e.target.value.replace(/\D/g, ''))} placeholder="no limit" size={8} />
        </label>
        <button className="primary" type="submit">
          Create link
        </button>
      </form>
      <ul className="pick-list invites">
        {invites?.length === 0 && <li className="muted small-text">No invite links yet.</li>}
        {invites?.map((inv) => {
          const state = inviteState(inv);
          return (
            <li key={inv.id} className="invite-row" data-testid="invite" data-code={inv.code}>
              <input readOnly value={inviteLink(inv.code)} aria-label="Invite link" onFocus={(e) => e.currentTarget.select()} className="grow" />
              <span className="muted small-text">
                {inv.uses}
                {inv.max_uses ? `/${inv.max_uses}` : ''} used{inv.expires_at ? ` · until ${new Date(inv.expires_at).toLocaleString()}` : ''}
                {state ? ` · ${state}` : ''}
              </span>
              {!inv.revoked && (
                <>
                  <button className="ghost small" onClick={() => void run(() => navigator.clipboard.writeText(inviteLink(inv.code)), 'Copied.')}>
                    Copy
                  </button>
                  <button
                    className="ghost small danger-text"
                    onClick={() =>
                      void run(async () => {
                        await client.api.revokeInvite(roomId, inv.id);
                        await reload();
                      }, 'Revoked.')
                    }
                  >
                    Revoke
                  </button>
                </>
              )}
            </li>
          );
        })}
      </ul>
    </>
  );
}

function Requests({ client, roomId, run }: { client: LimeClient; roomId: number; run: Run }) {
  const [requests, setRequests] = useState<JoinRequestDto[] | null>(null);
  const reload = useCallback(() => client.api.joinRequests(roomId).then((r) => setRequests(r.requests)), [client, roomId]);
  useEffect(() => {
    reload().catch(() => setRequests([]));
  }, [reload]);
  return (
    <ul className="pick-list">
      {requests?.length === 0 && <li className="muted small-text">No one is waiting to join.</li>}
      {requests?.map((r) => (
        <li key={r.user_id} className="channel-row" data-testid="join-request" data-username={r.username}>
          <span className="pick-text">
            <strong>{r.display_name}</strong>
            <span className="muted">@{r.username}</span>
          </span>
          <button
            className="primary small"
            aria-label={`Approve ${r.display_name}`}
            onClick={() =>
              void run(async () => {
                await client.api.approveJoin(roomId, r.user_id);
                await reload();
              }, `${r.display_name} joined.`)
            }
          >
            Approve
          </button>
          <button
            className="ghost small"
            aria-label={`Decline ${r.display_name}`}
            onClick={() =>
              void run(async () => {
                await client.api.rejectJoin(roomId, r.user_id);
                await reload();
              }, 'Declined.')
            }
          >
            Decline
          </button>
        </li>
      ))}
    </ul>
  );
}
