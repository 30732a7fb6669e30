import { describe, expect, it } from 'vitest';
import { MessageFold, type MessageState } from './messages';
import type { EventDto, ReactionDto } from './types';

/**
 * A small model of the server's side of docs/protocol.md §10: it takes operations, writes their events (as delivered
 * live) and answers reads the way history does — messages with their state as of the read, superseded edit events
 * without their text, a deleted message's edit events without text, pins as of the read.
 */
class ModelRoom {
  readonly live: EventDto[] = [];
  private readonly msgs = new Map<number, { sender: number; text: string | null; editedAt: number | null; deleted: boolean; reactions: [string, number[]][]; edits: number[] }>();
  private pinned: number[] = [];
  /** Snapshots after each seq, for reads "as of" that seq. */
  private readonly reads: { events: EventDto[]; pinned: number[] }[] = [{ events: [], pinned: [] }];

  get lastSeq(): number {
    return this.live.length;
  }

  messageSeqs(): number[] {
    return [...this.msgs.keys()];
  }

  alive(seq: number): boolean {
    return this.msgs.get(seq)?.deleted === false;
  }

  sender(seq: number): number {
    return this.msgs.get(seq)?.sender ?? 0;
  }

  reacted(seq: number, emoji: string, user: number): boolean {
    return this.msgs.get(seq)?.reactions.find(([e]) => e === emoji)?.[1].includes(user) ?? false;
  }

  isPinned(seq: number): boolean {
    return this.pinned.includes(seq);
  }

  send(sender: number, text: string): void {
    const seq = this.lastSeq + 1;
    this.msgs.set(seq, { sender, text, editedAt: null, deleted: false, reactions: [], edits: [] });
    this.write({ kind: 'message', sender, text });
  }

  edit(seq: number, text: string): void {
    const m = this.msgs.get(seq)!;
    m.text = text;
    m.editedAt = this.lastSeq + 1;
    m.edits.push(this.lastSeq + 1);
    this.write({ kind: 'message_edited', sender: m.sender, target: seq, text });
  }

  delete(seq: number, by: number): void {
    const m = this.msgs.get(seq)!;
    m.deleted = true;
    m.text = null;
    m.reactions = [];
    this.pinned = this.pinned.filter((s) => s !== seq);
    this.write({ kind: 'message_deleted', sender: by, target: seq });
  }

  react(seq: number, emoji: string, user: number, add: boolean): void {
    const m = this.msgs.get(seq)!;
    if (add) {
      const r = m.reactions.find(([e]) => e === emoji);
      if (r) r[1].push(user);
      else m.reactions.push([emoji, [user]]);
    } else {
      const r = m.reactions.find(([e]) => e === emoji)!;
      r[1] = r[1].filter((u) => u !== user);
      if (r[1].length === 0) m.reactions = m.reactions.filter(([e]) => e !== emoji);
    }
    this.write({ kind: add ? 'reaction_added' : 'reaction_removed', sender: user, target: seq, emoji });
  }

  pin(seq: number, by: number, pin: boolean): void {
    this.pinned = pin ? [seq, ...this.pinned] : this.pinned.filter((s) => s !== seq);
    this.write({ kind: pin ? 'message_pinned' : 'message_unpinned', sender: by, target: seq });
  }

  /** History of seqs 1..asOf as read when the room's last seq was asOf. */
  read(asOf: number): { events: EventDto[]; pinned: number[] } {
    return this.reads[asOf];
  }

  private write(e: Omit<EventDto, 'id' | 'room' | 'seq' | 'ts'>): void {
    const seq = this.lastSeq + 1;
    this.live.push({ id: String(seq), room: 1, seq, ts: seq, ...e });
    // The read as of this seq: current message state, edit texts kept only on a live message's newest edit.
    const newestEdit = new Map<number, number>();
    for (const [s, m] of this.msgs) if (!m.deleted && m.edits.length) newestEdit.set(m.edits[m.edits.length - 1], s);
    const events = this.live.map((x): EventDto => {
      if (x.kind === 'message') {
        const m = this.msgs.get(x.seq)!;
        const reactions: ReactionDto[] = m.reactions.map(([emoji, users]) => ({ emoji, count: users.length, users: [...users] }));
        return { ...x, text: m.text, edited_at: m.editedAt, deleted: m.deleted || null, reactions: reactions.length ? reactions : null };
      }
      if (x.kind === 'message_edited' && !newestEdit.has(x.seq)) return { ...x, text: null };
      return { ...x };
    });
    this.reads.push({ events, pinned: [...this.pinned] });
  }
}

/** A seeded PRNG (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EMOJI = ['👍', '❤️', '😂', '🎉'];
const USERS = [1, 2, 3, 4];

/** 200 mixed operations, each one that changes something (as the server writes events only then). */
function scenario(seed: number, count = 200): ModelRoom {
  const r = rng(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const room = new ModelRoom();
  room.send(1, 'hello');
  while (room.lastSeq < count) {
    const alive = room.messageSeqs().filter((s) => room.alive(s));
    const op = r();
    if (op < 0.2 || alive.length === 0) {
      room.send(pick(USERS), `m${room.lastSeq + 1}`);
      continue;
    }
    const seq = pick(alive);
    if (op < 0.35) room.edit(seq, `edit ${room.lastSeq + 1}`);
    else if (op < 0.42) room.delete(seq, r() < 0.5 ? room.sender(seq) : 1);
    else if (op < 0.85) {
      const emoji = pick(EMOJI);
      const user = pick(USERS);
      room.react(seq, emoji, user, !room.reacted(seq, emoji, user));
    } else room.pin(seq, 1, !room.isPinned(seq));
  }
  return room;
}

/** A fold's state to compare: emoji order may differ after replays (the server lists by earliest current reaction). */
function view(fold: MessageFold) {
  const messages = [...fold.messages.values()]
    .sort((a, b) => a.seq - b.seq)
    .map((m: MessageState) => ({
      seq: m.seq,
      text: m.text,
      editedAt: m.editedAt,
      deleted: m.deleted,
      reactions: [...m.reactions].sort((a, b) => a.emoji.localeCompare(b.emoji)).map((x) => [x.emoji, x.count, x.users]),
    }));
  return { messages, pinned: fold.pins.seqs };
}

function freshLoad(room: ModelRoom, at = room.lastSeq): MessageFold {
  const fold = new MessageFold();
  const read = room.read(at);
  fold.loadPins(read.pinned, at);
  fold.load(read.events, at);
  return fold;
}

describe('MessageFold', () => {
  it('applies edit, delete, reactions and pins: text replaced with edited_at, a tombstone, counts per emoji, the pins list', () => {
    const room = new ModelRoom();
    room.send(1, 'Lunch at 12?');
    room.edit(1, 'Lunch at 12:30?');
    room.react(1, '👍', 2, true);
    room.react(1, '👍', 3, true);
    room.react(1, '🎉', 1, true);
    room.react(1, '👍', 3, false);
    room.pin(1, 2, true);
    room.send(2, 'ok');
    const fold = new MessageFold();
    for (const e of room.live) fold.apply(e);
    const m = fold.messages.get(1)!;
    expect([m.text, m.editedAt, m.deleted]).toEqual(['Lunch at 12:30?', 2, false]);
    expect(m.reactions).toEqual([
      { emoji: '👍', count: 1, users: [2] },
      { emoji: '🎉', count: 1, users: [1] },
    ]);
    expect(fold.pins.seqs).toEqual([1]);

    room.delete(1, 1);
    fold.apply(room.live[room.live.length - 1]);
    expect(fold.messages.get(1)).toMatchObject({ text: null, deleted: true, reactions: [] });
    expect(fold.pins.seqs).toEqual([]);
    expect(view(fold)).toEqual(view(freshLoad(room)));
  });

  it('replaying every event from the start gives the state of a fresh load (200 mixed operations, 5 seeds)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const room = scenario(seed);
      const fold = new MessageFold();
      for (const e of room.live) fold.apply(e);
      expect(view(fold), `seed ${seed}`).toEqual(view(freshLoad(room)));
    }
  });

  it('a read at any point, then the events after it, gives the state of a fresh load — also when the read says less than it holds', () => {
    const room = scenario(42);
    for (let k = 1; k <= room.lastSeq; k += 7) {
      // Catch-up: the state as of k, then the live events after k.
      const caught = freshLoad(room, k);
      for (const e of room.live.slice(k)) caught.apply(e);
      expect(view(caught), `read at ${k}`).toEqual(view(freshLoad(room)));

      // A socket page does not say as_of: the client takes a lower mark j and replays from there (some twice).
      const j = Math.max(0, k - 10);
      const lower = new MessageFold();
      const read = room.read(k);
      lower.loadPins(read.pinned, j);
      lower.load(read.events, j);
      for (const e of room.live.slice(k)) lower.apply(e);
      expect(view(lower), `read at ${k}, marked ${j}`).toEqual(view(freshLoad(room)));
    }
  });

  it('ignores operations at or below a message state mark (a large room, counts only: no user list to dedupe by)', () => {
    const fold = new MessageFold();
    const read: EventDto[] = [
      { id: '1', room: 1, seq: 1, kind: 'message', sender: 1, ts: 1, text: 'a', reactions: [{ emoji: '👍', count: 1 }] },
      { id: '2', room: 1, seq: 2, kind: 'reaction_added', sender: 2, ts: 2, target: 1, emoji: '👍' },
    ];
    fold.load(read, 2); // state as of 2: the reaction is in it
    fold.apply(read[1]); // delivered again
    fold.apply({ id: '3', room: 1, seq: 3, kind: 'reaction_added', sender: 3, ts: 3, target: 1, emoji: '👍' });
    fold.apply({ id: '3', room: 1, seq: 3, kind: 'reaction_added', sender: 3, ts: 3, target: 1, emoji: '👍' });
    expect(fold.messages.get(1)?.reactions).toEqual([{ emoji: '👍', count: 2, users: null }]);
  });

  it('counts reactions of a large room without users, and keeps my hidden messages hidden when they arrive later', () => {
    const fold = new MessageFold();
    fold.hide(3);
    fold.load([{ id: '3', room: 1, seq: 3, kind: 'message', sender: 2, ts: 3, text: 'x', reactions: [{ emoji: '👍', count: 40 }] }], 3);
    fold.apply({ id: '4', room: 1, seq: 4, kind: 'reaction_added', sender: 9, ts: 4, target: 3, emoji: '👍' });
    fold.apply({ id: '5', room: 1, seq: 5, kind: 'reaction_removed', sender: 8, ts: 5, target: 3, emoji: '👍' });
    fold.apply({ id: '6', room: 1, seq: 6, kind: 'reaction_added', sender: 9, ts: 6, target: 3, emoji: '🎉' });
    const m = fold.messages.get(3)!;
    expect(m.hidden).toBe(true);
    expect(m.reactions.map((r) => [r.emoji, r.count])).toEqual([
      ['👍', 40],
      ['🎉', 1],
    ]);
  });
});
