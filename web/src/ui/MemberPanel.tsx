import { useEffect } from 'react';
import type { LimeClient, RoomState } from '../sdk/client';
import type { MemberDto } from '../sdk/types';
import { Avatar } from './Avatar';
import { CloseIcon } from './icons';

const ROLE_ORDER: Record<string, number> = { owner: 0, admin: 1, member: 2 };

/** Whether `mine` may moderate a member of role `theirs`: nobody acts on the owner, and only the owner on an admin. */
export function canModerate(mine: string | null | undefined, theirs: string): boolean {
  if (mine === 'owner') return theirs !== 'owner';
  if (mine === 'admin') return theirs === 'member';
  return false;
}

export function isMuted(m: MemberDto | undefined, now = Date.now()): boolean {
  return m?.muted_until != null && m.muted_until > now;
}

/**
 * The members of a group or channel, owner and admins first. Owners and admins get mute/unmute, remove and ban on
 * the members they may act on (docs/protocol.md §11); nobody else sees those buttons.
 */
export function MemberPanel({
  client,
  room,
  onClose,
  onMute,
  onKick,
  onBan,
}: {
  client: LimeClient;
  room: RoomState;
  onClose: () => void;
  onMute: (m: MemberDto, mute: boolean) => void;
  onKick: (m: MemberDto) => void;
  onBan: (m: MemberDto) => void;
}) {
  const id = room.room.id;
  useEffect(() => {
    void client.loadMembers(id);
  }, [client, id]);
  const me = client.me?.id;
  const myRole = room.room.my_role;
  const members = [...(room.members?.values() ?? [])].sort(
    (a, b) => (ROLE_ORDER[a.role] ?? 3) - (ROLE_ORDER[b.role] ?? 3) || a.display_name.localeCompare(b.display_name),
  );
  return (
    <aside className="member-panel" aria-label="Members" data-testid="member-panel">
      <header className="member-panel-header">
        <h3>Members</h3>
        <button className="icon-button" aria-label="Close members" onClick={onClose}>
          <CloseIcon />
        </button>
      </header>
      {room.members === null ? (
        <p className="muted small-text">Loading…</p>
      ) : (
        <ul className="member-list">
          {members.map((m) => {
            const muted = isMuted(m);
            const actions = m.user_id !== me && canModerate(myRole, m.role);
            return (
              <li key={m.user_id} className="member" data-testid="member" data-username={m.username} data-role={m.role} data-muted={muted ? 'true' : 'false'}>
                <Avatar name={m.display_name} seed={m.user_id} size={32} />
                <span className="member-text">
                  <strong>
                    {m.display_name}
                    {m.user_id === me ? ' (you)' : ''}
                  </strong>
                  <span className="muted">
                    @{m.username}
                    {m.role !== 'member' ? ` · ${m.role}` : ''}
                    {muted ? ' · muted' : ''}
                  </span>
                </span>
                {actions && (
                  <span className="member-actions">
                    <button className="ghost small" onClick={() => onMute(m, !muted)} aria-label={`${muted ? 'Unmute' : 'Mute'} ${m.display_name}`}>
                      {muted ? 'Unmute' : 'Mute'}
                    </button>
                    <button className="ghost small" onClick={() => onKick(m)} aria-label={`Remove ${m.display_name}`}>
                      Remove
                    </button>
                    <button className="ghost small danger-text" onClick={() => onBan(m)} aria-label={`Ban ${m.display_name}`}>
                      Ban
                    </button>
                  </span>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </aside>
  );
}
