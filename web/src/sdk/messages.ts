import type { EventDto, ReactionDto } from './types';

/** One emoji on a message: who reacted (in the order they did; null in large rooms, which get counts only). */
export interface Reaction {
  emoji: string;
  count: number;
  users: readonly number[] | null;
}

/** A message as the UI shows it: the fold of its `message` event and the operations on it (docs/protocol.md §10). */
export interface MessageState {
  seq: number;
  sender: number;
  /** The current text; null once deleted for everyone. */
  text: string | null;
  /** Time of the latest edit. */
  editedAt: number | null;
  /** Deleted for everyone: a tombstone. */
  deleted: boolean;
  /** Hidden by me, for me. */
  hidden: boolean;
  reactions: readonly Reaction[];
  /** The seq this state is known to: operations at or below it are already in it. */
  asOf: number;
}

/** The kinds that operate on one message (`target`). */
export const operationKinds: ReadonlySet<string> = new Set([
  'message_edited',
  'message_deleted',
  'reaction_added',
  'reaction_removed',
  'message_pinned',
  'message_unpinned',
]);

/** A message's state from its event: as of `asOf` for a history/sync read, its own seq for a live one. */
export function messageFrom(e: EventDto, asOf = e.seq): MessageState {
  return {
    seq: e.seq,
    sender: e.sender,
    text: e.deleted ? null : (e.text ?? null),
    editedAt: e.edited_at ?? null,
    deleted: e.deleted === true,
    hidden: e.hidden === true,
    reactions: e.deleted ? [] : (e.reactions ?? []).map(fromDto),
    asOf: Math.max(asOf, e.seq),
  };
}

function fromDto(r: ReactionDto): Reaction {
  const users = r.users ? [...r.users] : null;
  return { emoji: r.emoji, count: users ? users.length : r.count, users };
}

/**
 * Applies one operation event to the message it targets and returns the new state (the same object when nothing
 * changes). An operation at or below the state's mark is already in it and is ignored, so events can be replayed
 * in seq order from any point at or below where a read's state was taken: each operation decides one element (the
 * text, one user's reaction) and the last one wins. A tombstone changes no more.
 */
export function applyOperation(m: MessageState, e: EventDto): MessageState {
  if (e.seq <= m.asOf || e.target !== m.seq) return m;
  const next: MessageState = { ...m, asOf: e.seq };
  if (m.deleted) return next;
  switch (e.kind) {
    case 'message_edited':
      if (e.text != null) next.text = e.text; // a superseded edit comes without text
      next.editedAt = Math.max(m.editedAt ?? 0, e.ts);
      break;
    case 'message_deleted':
      next.deleted = true;
      next.text = null;
      next.reactions = [];
      break;
    case 'reaction_added':
      if (e.emoji) next.reactions = addReaction(m.reactions, e.emoji, e.sender);
      break;
    case 'reaction_removed':
      if (e.emoji) next.reactions = removeReaction(m.reactions, e.emoji, e.sender);
      break;
    default:
      break;
  }
  return next;
}

function addReaction(list: readonly Reaction[], emoji: string, user: number): Reaction[] {
  const i = list.findIndex((r) => r.emoji === emoji);
  if (i < 0) return [...list, { emoji, count: 1, users: [user] }];
  const r = list[i];
  if (r.users?.includes(user)) return [...list];
  const users = r.users ? [...r.users, user] : null;
  const copy = [...list];
  copy[i] = { emoji, users, count: users ? users.length : r.count + 1 };
  return copy;
}

function removeReaction(list: readonly Reaction[], emoji: string, user: number): Reaction[] {
  const i = list.findIndex((r) => r.emoji === emoji);
  if (i < 0) return [...list];
  const r = list[i];
  if (r.users && !r.users.includes(user)) return [...list];
  const users = r.users ? r.users.filter((u) => u !== user) : null;
  const count = users ? users.length : r.count - 1;
  const copy = [...list];
  if (count <= 0) copy.splice(i, 1);
  else copy[i] = { emoji, users, count };
  return copy;
}

/** Whether I reacted with this emoji (unknown in large rooms: false). */
export function reactedByMe(r: Reaction, me: number): boolean {
  return r.users?.includes(me) ?? false;
}

/** The room's pinned messages (newest pin first) and the seq they are known to. */
export interface Pins {
  seqs: readonly number[];
  asOf: number;
}

/** Applies a pin, unpin or delete event to the pins (ignored at or below their mark). */
export function applyToPins(p: Pins, e: EventDto): Pins {
  if (e.seq <= p.asOf || e.target == null) return p;
  const target = e.target;
  if (e.kind === 'message_pinned') return { seqs: [target, ...p.seqs.filter((s) => s !== target)], asOf: e.seq };
  if (e.kind === 'message_unpinned' || e.kind === 'message_deleted') return { seqs: p.seqs.filter((s) => s !== target), asOf: e.seq };
  return p;
}

/**
 * The fold of a room's events into message states and pins: `load` a read (history page or sync room, state as of
 * `asOf`), then `apply` every later event in seq order. Plain data in, plain data out; {@link Timelines} keeps one
 * per room.
 */
export class MessageFold {
  readonly messages = new Map<number, MessageState>();
  /** Seqs I hid (kept for messages not held yet). */
  readonly hidden = new Set<number>();
  pins: Pins = { seqs: [], asOf: 0 };

  /** Takes the pins of a room read (`RoomDto.pinned` as of its `last_seq`). */
  loadPins(pinned: readonly number[] | null | undefined, asOf: number): void {
    if (asOf >= this.pins.asOf) this.pins = { seqs: [...(pinned ?? [])], asOf };
  }

  /** A read's events: messages carry their state as of `asOf`; operations on messages held before still apply. */
  load(events: readonly EventDto[], asOf: number): void {
    for (const e of [...events].sort((a, b) => a.seq - b.seq)) this.apply(e, asOf);
  }

  /**
   * One event in seq order: a message takes its state (as of `asOf` when it comes from a read; a live one is new),
   * an operation changes its target. Returns the seq of the message it changed or added, if any.
   */
  apply(e: EventDto, asOf = e.seq): number | undefined {
    if (e.kind === 'message') {
      if (this.messages.has(e.seq)) return undefined;
      const m = messageFrom(e, asOf);
      this.messages.set(e.seq, this.hidden.has(e.seq) ? { ...m, hidden: true } : m);
      if (m.hidden) this.hidden.add(e.seq);
      return e.seq;
    }
    if (!operationKinds.has(e.kind) || e.target == null) return undefined;
    this.pins = applyToPins(this.pins, e);
    const m = this.messages.get(e.target);
    if (!m) return undefined;
    const next = applyOperation(m, e);
    if (next === m) return undefined;
    this.messages.set(m.seq, next);
    return m.seq;
  }

  hide(seq: number): boolean {
    this.hidden.add(seq);
    const m = this.messages.get(seq);
    if (!m || m.hidden) return false;
    this.messages.set(seq, { ...m, hidden: true });
    return true;
  }
}
