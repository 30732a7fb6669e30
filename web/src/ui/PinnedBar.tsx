import { useState } from 'react';
import type { LimeClient, RoomState } from '../sdk/client';
import { neutraliseBidi } from './linkify';
import { CloseIcon } from './icons';

/** The room's pinned messages above the timeline: the newest first; a click shows it, the counter steps through them. */
export function PinnedBar({ client, room, canPin, onJump, onUnpin }: { client: LimeClient; room: RoomState; canPin: boolean; onJump: (seq: number) => void; onUnpin: (seq: number) => void }) {
  const [index, setIndex] = useState(0);
  const pins = room.pinned;
  if (pins.length === 0) return null;
  const i = index % pins.length;
  const seq = pins[i];
  const state = room.messages.get(seq);
  const text = state ? (state.deleted ? 'Message deleted' : (state.text ?? '')) : 'Pinned message';
  const who = state ? client.displayName(state.sender) : null;
  return (
    <div className="pinned-bar" data-testid="pinned-bar" role="region" aria-label="Pinned messages">
      <span className="pin-mark" aria-hidden="true">
        📌
      </span>
      <button className="pinned-text" onClick={() => onJump(seq)} data-testid="pinned-message" data-seq={seq} title="Show the pinned message">
        <strong>{pins.length > 1 ? `Pinned ${i + 1} of ${pins.length}` : 'Pinned'}</strong>
        <span>
          {who ? `${who}: ` : ''}
          {neutraliseBidi(text)}
        </span>
      </button>
      {pins.length > 1 && (
        <button className="ghost small" onClick={() => setIndex(i + 1)} aria-label="Next pinned message">
          Next
        </button>
      )}
      {canPin && (
        <button className="icon-button" aria-label="Unpin this message" title="Unpin" onClick={() => onUnpin(seq)}>
          <CloseIcon />
        </button>
      )}
    </div>
  );
}
