import { useEffect, useState } from 'react';
import type { LimeClient } from '../sdk/client';
import { describeError } from '../sdk/errors';
import type { InvitePreviewDto } from '../sdk/types';
import { Avatar } from './Avatar';

/** An invite link opened (`/?invite=CODE`): what it leads to, and Join (or Ask to join where approval is required). */
export function InviteScreen({ client, code, onDone }: { client: LimeClient; code: string; onDone: (roomId: number | null) => void }) {
  const [preview, setPreview] = useState<InvitePreviewDto | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [requested, setRequested] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    client.api.previewInvite(code).then(
      (p) => live && setPreview(p),
      (e: unknown) => live && setError(describeError(e)),
    );
    return () => {
      live = false;
    };
  }, [client, code]);

  async function join() {
    setBusy(true);
    setError(null);
    try {
      const outcome = await client.joinByInvite(code);
      if (outcome.pending) setRequested(true);
      else onDone(outcome.room.id);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  const member = preview ? client.room(preview.room) !== undefined : false;
  return (
    <div className="empty-chat invite-screen" data-testid="invite-screen">
      {preview && <Avatar name={preview.name ?? ''} seed={preview.room} size={72} kind={preview.kind === 'channel' ? 'channel' : 'group'} />}
      <h2>{preview ? (preview.name ?? 'A chat') : error ? 'This invite cannot be used' : 'Loading invite…'}</h2>
      {preview && (
        <p className="muted">
          {preview.kind === 'channel' ? 'Channel' : 'Group'} · {preview.member_count} member{preview.member_count === 1 ? '' : 's'}
          {preview.topic ? ` · ${preview.topic}` : ''}
          {preview.approval_required ? ' · joining needs approval' : ''}
        </p>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {requested ? (
        <p role="status" data-testid="join-requested">
          Request sent. You will see the room once an owner or admin approves.
        </p>
      ) : (
        preview && (
          <button className="primary" disabled={busy} onClick={() => (member ? onDone(preview.room) : void join())}>
            {member ? 'Open' : preview.approval_required ? 'Ask to join' : 'Join'}
          </button>
        )
      )}
      <button className="link-button" onClick={() => onDone(null)}>
        Not now
      </button>
    </div>
  );
}
