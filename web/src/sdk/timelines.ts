import { ConnectionLostError, LimeError, describeError } from './errors';
import { MessageFold, operationKinds, type MessageState } from './messages';
import { Outbox, newClientMsgId, type OutboxItem } from './outbox';
import type { LimeSocket } from './socket';
import {
  permanentSendErrors,
  type AckFrame,
  type EventDto,
  type HistoryFrame,
  type HistoryPage,
  type MemberDto,
  type MemberListResponse,
  type ReadFrame,
  type RoomDto,
  type SyncCursor,
  type SyncResponse,
  type TypingFrame,
  type UserDto,
} from './types';

/** One room as this device holds it. `events` is contiguous in seq order; replaced (never mutated) on change. */
export interface RoomState {
  room: RoomDto;
  events: readonly EventDto[];
  /** Seq just below the first held event (0 when the room's beginning is held). */
  base: number;
  hasMoreBefore: boolean;
  loadingOlder: boolean;
  readSeq: number;
  unread: number;
  /** Read watermarks of the members (small rooms only), user → seq. */
  reads: ReadonlyMap<number, number>;
  /** Who is typing, user → expiry (ms). */
  typing: ReadonlyMap<number, number>;
  lastMessage: EventDto | null;
  /** The messages held, by seq, as the fold of their events (text after edits, tombstones, reactions, hidden). */
  messages: ReadonlyMap<number, MessageState>;
  /** Seqs of the pinned messages, newest pin first. */
  pinned: readonly number[];
  /** The members (once loaded with {@link Timelines.loadMembers}), user → member; kept up to date by events. */
  members: ReadonlyMap<number, MemberDto> | null;
  /** An unread message mentions me (by id or @room). */
  mentioned: boolean;
  /** Bumped on every change of this room (for memoisation). */
  version: number;
}

/** Options of a message being sent. */
export interface SendOptions {
  replyTo?: number;
  /** User ids mentioned (docs/protocol.md §12). */
  mentions?: number[];
  /** `@room`. */
  mentionRoom?: boolean;
}

interface Timeline extends RoomState {
  events: EventDto[];
  reads: Map<number, number>;
  typing: Map<number, number>;
  /** Events past a gap, with the seq their message state is known to. */
  early: Map<number, { e: EventDto; asOf: number }>;
  fold: MessageFold;
  members: Map<number, MemberDto> | null;
  loadingMembers: boolean;
  filling: boolean;
  myClientMsgIds: Set<string>;
  /** Messages up to this seq are already in `unread` (the server counted them at sync). */
  countedThrough: number;
}

/** The request side of an open socket ({@link LimeSocket} is one). */
export interface FrameChannel {
  readonly isOpen: boolean;
  request: LimeSocket['request'];
  post: LimeSocket['post'];
}

/** The REST calls the timelines need (a subset of {@link LimeApi}). */
export interface TimelineApi {
  room(id: number): Promise<RoomDto>;
  history(room: number, p: { before?: number; after?: number; limit?: number }): Promise<HistoryPage>;
  around(room: number, seq: number, limit?: number): Promise<HistoryPage>;
  members(id: number): Promise<MemberListResponse>;
}

/** What the timelines need from around them. */
export interface TimelineDeps {
  api: TimelineApi;
  outbox: Outbox;
  directory: { user(id: number): UserDto | undefined; remember(user: UserDto): void };
  /** My user id (undefined when signed out). */
  me(): number | undefined;
  /** The open socket, if any. */
  socket(): FrameChannel | null;
  /** Whether the connection is live (caught up). */
  live(): boolean;
  /** The large-room threshold from hello (undefined before the first). */
  largeRoomMembers(): number | undefined;
  /** A direct-chat partner became known (its presence is worth asking for). */
  onPeer(userId: number): void;
  emit(): void;
}

const GAP_PAGE = 200;
const OLDER_PAGE = 50;
const TYPING_EVERY_MS = 2500;

/**
 * The rooms of this device and their events (docs/protocol.md §7, steps 2–4):
 *
 * - events apply per room strictly in seq order: a seq already held is a duplicate and dropped, a seq past a gap is
 *   held while the gap is filled from history;
 * - a room new to the device is fetched (description and newest page) and the live events and typing that arrive
 *   meanwhile are applied after;
 * - read state (mine and, in small rooms, the members'), unread counts and typing indicators;
 * - sending through a persistent outbox: each message keeps its client_msg_id across retries and reconnects, so the
 *   server stores it once; permanent refusals mark it failed (retry or discard from the UI).
 */
export class Timelines {
  private readonly timelines = new Map<number, Timeline>();
  /** Rooms being fetched because they are new to this device, with the live events and typing that arrived meanwhile. */
  private readonly bootstrapping = new Map<number, { queue: EventDto[]; typing: Map<number, number>; done: Promise<void> }>();
  private readonly pendingReads = new Map<number, number>();
  private readonly lastTypingSent = new Map<number, number>();
  private readonly outbox: Outbox;
  private version = 0;
  private listCache: { version: number; rooms: RoomState[] } | null = null;

  constructor(private readonly deps: TimelineDeps) {
    this.outbox = deps.outbox;
  }

  private get me(): number | undefined {
    return this.deps.me();
  }

  private get socket(): FrameChannel | null {
    return this.deps.socket();
  }

  /** A typing frame: shown in its room (or kept while the room is being fetched). */
  applyTyping(frame: TypingFrame): void {
    if (frame.user === this.me) return;
    const until = Date.now() + frame.expires_in_ms;
    const t = this.timelines.get(frame.room);
    if (t) this.showTyping(t, frame.user, until);
    else this.bootstrapping.get(frame.room)?.typing.set(frame.user, until); // shown once the room is fetched
  }

  /** Sends what the outbox holds (after a reconnect's catch-up). */
  resend(): void {
    for (const item of this.outbox.all()) if (item.state === 'sending') this.transmit(item);
  }

  /** Forgets unsent messages (sign-out on a shared computer). */
  clearOutbox(): void {
    for (const item of [...this.outbox.all()]) this.outbox.remove(item.client_msg_id);
  }

  /** Direct-chat partners of the rooms held. */
  peers(): number[] {
    const peers: number[] = [];
    for (const t of this.timelines.values()) if (t.room.peer) peers.push(t.room.peer);
    return peers;
  }

  /** My rooms, most recent activity first. */
  rooms(): RoomState[] {
    if (this.listCache?.version !== this.version) {
      const rooms = [...this.timelines.values()].sort(
        (a, b) => activity(b) - activity(a) || b.room.id - a.room.id,
      );
      this.listCache = { version: this.version, rooms };
    }
    return this.listCache.rooms;
  }

  room(id: number): RoomState | undefined {
    return this.timelines.get(id);
  }

  totalUnread(): number {
    let n = 0;
    for (const t of this.timelines.values()) n += t.unread;
    return n;
  }

  /** Messages of this room still in the outbox (sending, failed, or acknowledged but not yet in the timeline). */
  pending(room: number): OutboxItem[] {
    const t = this.timelines.get(room);
    return this.outbox.forRoom(room).filter((i) => !t?.myClientMsgIds.has(i.client_msg_id));
  }

  /** Members of a small room who have not read up to `seq` (the sender excluded); undefined in large rooms. */
  unreadBy(room: RoomState, seq: number, sender: number): number | undefined {
    if (room.reads.size === 0) return undefined;
    let n = 0;
    for (const [user, read] of room.reads) {
      if (user !== sender && read < seq) n++;
    }
    return n;
  }

  /** Queues a message; it is sent now if connected, else after reconnecting. Returns its client_msg_id. */
  send(room: number, text: string, options: SendOptions = {}): string {
    const item: OutboxItem = {
      client_msg_id: newClientMsgId(),
      room,
      text,
      reply_to: options.replyTo,
      mentions: options.mentions?.length ? [...new Set(options.mentions)] : undefined,
      mention_room: options.mentionRoom || undefined,
      created_at: Date.now(),
      state: 'sending',
    };
    this.outbox.add(item);
    this.lastTypingSent.delete(room);
    this.emit();
    this.transmit(item);
    return item.client_msg_id;
  }

  /** Sends a failed message again, with the same client_msg_id. */
  retry(clientMsgId: string): void {
    const item = this.outbox.update(clientMsgId, { state: 'sending', error: undefined });
    this.emit();
    if (item) this.transmit(item);
  }

  discard(clientMsgId: string): void {
    this.outbox.remove(clientMsgId);
    this.emit();
  }

  /** Marks everything held in the room as read (optimistically; sent when connected). */
  markRead(roomId: number): void {
    const t = this.timelines.get(roomId);
    if (!t) return;
    const last = lastSeq(t);
    if (last <= t.readSeq && t.unread === 0) return;
    t.readSeq = Math.max(t.readSeq, last);
    t.unread = 0;
    t.mentioned = false;
    this.touch(t);
    this.pendingReads.set(roomId, t.readSeq);
    this.flushReads();
  }

  /** Tells the room I am typing (throttled). */
  typing(roomId: number): void {
    const now = Date.now();
    if (now - (this.lastTypingSent.get(roomId) ?? 0) < TYPING_EVERY_MS) return;
    if (!this.deps.live() || !this.socket) return;
    this.lastTypingSent.set(roomId, now);
    this.socket.post({ type: 'typing', room: roomId });
  }

  /** Loads the page of history before the oldest held event. */
  async loadOlder(roomId: number, limit = OLDER_PAGE): Promise<void> {
    const t = this.timelines.get(roomId);
    if (!t || !t.hasMoreBefore || t.loadingOlder) return;
    t.loadingOlder = true;
    this.touch(t);
    try {
      const before = t.base + 1;
      // The page's state is as of its read, which is after this point (the socket's pages do not say as_of).
      const known = lastSeq(t);
      const page = await this.history(roomId, { before, limit });
      const current = this.timelines.get(roomId);
      if (current !== t) return;
      this.prependOlder(t, page.events, page, known);
    } catch {
      // Offline or a transient error: scrolling up again retries.
    } finally {
      t.loadingOlder = false;
      this.touch(t);
    }
  }

  /**
   * Makes `seq` held (for jumping to a replied-to, pinned or found message). First the page of history `around` it
   * (docs/protocol.md §3): when that page reaches the held events it is joined to them in one request; a message
   * further back is reached by paging backwards from the held events (the timeline stays one contiguous run ending at
   * the newest event, so the pages in between are loaded too).
   */
  async ensureLoaded(roomId: number, seq: number): Promise<boolean> {
    const first = this.timelines.get(roomId);
    if (first && seq <= first.base && first.hasMoreBefore) await this.loadAround(first, seq);
    for (let i = 0; i < 100; i++) {
      const t = this.timelines.get(roomId);
      if (!t) return false;
      if (seq > t.base) return seq <= lastSeq(t);
      if (!t.hasMoreBefore) return false;
      const base = t.base;
      await this.loadOlder(roomId, GAP_PAGE);
      if (t.base === base) return false; // no progress (offline?)
    }
    return false;
  }

  /** The page around `seq`; joined to the held events when it reaches them. */
  private async loadAround(t: Timeline, seq: number): Promise<void> {
    if (t.loadingOlder) return;
    t.loadingOlder = true;
    try {
      const known = lastSeq(t);
      const socket = this.socket;
      const page: Omit<HistoryPage, 'as_of'> & { as_of?: number } = socket?.isOpen
        ? await socket.request<HistoryFrame>({ type: 'history', room: t.room.id, around: seq, limit: OLDER_PAGE })
        : await this.deps.api.around(t.room.id, seq, OLDER_PAGE);
      if (this.timelines.get(t.room.id) !== t) return;
      const sorted = [...page.events].sort((a, b) => a.seq - b.seq);
      if (!sorted.length || sorted[sorted.length - 1].seq < t.base) return; // a gap remains: page backwards instead
      this.prependOlder(t, sorted, page, known);
    } catch {
      // Paging backwards (below) still gets there.
    } finally {
      t.loadingOlder = false;
      this.touch(t);
    }
  }

  /** Puts a page's events below the held ones (those at or below `base`); `known` = my last seq when it was asked. */
  private prependOlder(t: Timeline, pageEvents: readonly EventDto[], page: { has_more_before: boolean; as_of?: number }, known: number): void {
    const older = pageEvents.filter((e) => e.seq <= t.base).sort((a, b) => a.seq - b.seq);
    if (older.length) {
      t.events = [...older, ...t.events];
      t.base = older[0].seq - 1;
      const asOf = Math.max(page.as_of ?? 0, known);
      for (const e of older) {
        if (e.sender === this.me && e.client_msg_id) t.myClientMsgIds.add(e.client_msg_id);
        if (e.kind === 'message') t.fold.apply(e, asOf);
      }
      // Operations held since that point apply to the older messages too (those already in their state are skipped).
      for (const e of t.events) if (e.seq > known && operationKinds.has(e.kind)) this.foldEvent(t, e, e.seq);
    }
    t.hasMoreBefore = older.length > 0 ? page.has_more_before && t.base > 0 : false;
    this.recountUnread(t);
  }

  /** Makes a room known to this device right away (after creating or joining it over REST). */
  async adopt(room: RoomDto): Promise<void> {
    if (this.timelines.has(room.id)) return;
    await this.bootstrapRoom(room.id, room);
  }

  cursors(): SyncCursor[] {
    const cursors: SyncCursor[] = [];
    for (const t of this.timelines.values()) {
      const seq = lastSeq(t);
      if (seq > 0) cursors.push({ room: t.room.id, seq });
    }
    return cursors;
  }

  /** Shows a member as typing until `until` (ms), unless a newer frame or their message replaces it. */
  private showTyping(t: Timeline, user: number, until: number): void {
    const left = until - Date.now();
    if (left <= 0) return;
    t.typing = new Map(t.typing).set(user, until);
    this.touch(t);
    setTimeout(() => {
      const cur = this.timelines.get(t.room.id);
      if (cur && cur.typing.get(user) === until) {
        const m = new Map(cur.typing);
        m.delete(user);
        cur.typing = m;
        this.touch(cur);
      }
    }, left);
  }

  applyRead(frame: ReadFrame): void {
    const t = this.timelines.get(frame.room);
    if (!t) return;
    if (frame.user === this.me) {
      if (frame.seq > t.readSeq) {
        t.readSeq = frame.seq;
        this.recountUnread(t);
      }
    }
    if (t.reads.size > 0 || frame.user !== this.me) {
      if ((t.reads.get(frame.user) ?? -1) < frame.seq) {
        t.reads = new Map(t.reads).set(frame.user, frame.seq);
      }
    }
    this.touch(t);
  }

  applyEvent(e: EventDto): void {
    const t = this.timelines.get(e.room);
    if (!t) {
      void this.bootstrapRoom(e.room, undefined, e);
      return;
    }
    this.apply(t, [e]);
  }

  async applySync(socket: FrameChannel, sync: SyncResponse): Promise<void> {
    for (const id of sync.left) this.dropRoom(id);
    const listed = new Set(sync.rooms.map((r) => r.room.id));
    for (const id of [...this.timelines.keys()]) if (!listed.has(id)) this.dropRoom(id);

    const fills: Promise<void>[] = [];
    for (const r of sync.rooms) {
      let t = this.timelines.get(r.room.id);
      if (!t || r.snapshot) {
        // New to this device, or too far behind: start again from the newest page (older events are history).
        const previous = t;
        t = newTimeline(r.room, r.events, r.room.last_seq, r.hidden);
        if (previous) {
          t.typing = previous.typing;
          t.members = previous.members;
        }
        this.timelines.set(r.room.id, t);
        for (const e of t.events) this.effects(t, e, true);
      } else {
        t.room = { ...r.room };
        t.countedThrough = r.room.last_seq;
        t.fold.loadPins(r.room.pinned, r.room.last_seq);
        for (const seq of r.hidden ?? []) t.fold.hide(seq);
        this.apply(t, r.events, r.room.last_seq);
        t.pinned = t.fold.pins.seqs;
        if (r.has_more) fills.push(this.fillGap(socket, t));
      }
      t.readSeq = Math.max(t.readSeq, r.read_seq);
      t.unread = r.unread_count;
      t.mentioned = t.events.some((e) => e.seq > t.readSeq && e.kind === 'message' && e.sender !== this.me && mentions(e, this.me));
      if (r.reads) t.reads = new Map(r.reads.map((x) => [x.user, x.seq]));
      if (t.room.peer) this.deps.directory.user(t.room.peer);
      this.touch(t);
    }
    await Promise.all(fills);
  }

  /**
   * Applies events in seq order: duplicates dropped, events past a gap held until the gap is filled. `asOf` is the
   * seq the messages' state is known to when the events come from a read (live messages are new: their own seq).
   */
  private apply(t: Timeline, events: readonly EventDto[], asOf = 0): void {
    for (const e of events) {
      if (e.seq <= lastSeq(t) || t.early.has(e.seq)) continue;
      t.early.set(e.seq, { e, asOf: Math.max(asOf, e.seq) });
    }
    const added: { e: EventDto; asOf: number }[] = [];
    let last = lastSeq(t);
    for (let next = t.early.get(last + 1); next; next = t.early.get(last + 1)) {
      t.early.delete(next.e.seq);
      added.push(next);
      last = next.e.seq;
    }
    if (added.length) {
      t.events = [...t.events, ...added.map((x) => x.e)];
      for (const x of added) {
        this.foldEvent(t, x.e, x.asOf);
        this.effects(t, x.e);
      }
      this.touch(t);
    }
    if (t.early.size > 0 && !t.filling && this.socket) void this.fillGap(this.socket, t);
  }

  /** Folds one event into the room's message states and pins. */
  private foldEvent(t: Timeline, e: EventDto, asOf: number): void {
    const changed = t.fold.apply(e, asOf);
    t.pinned = t.fold.pins.seqs;
    if (changed === undefined || e.kind === 'message') return;
    const m = t.fold.messages.get(changed);
    if (m && t.lastMessage?.seq === changed) {
      t.lastMessage = { ...t.lastMessage, text: m.text, deleted: m.deleted || null, edited_at: m.editedAt };
    }
    if (e.kind === 'message_deleted') this.recountUnread(t);
  }

  /** Hides a message for me (the `hidden` frame, or my own hide). */
  applyHidden(roomId: number, seq: number): void {
    const t = this.timelines.get(roomId);
    if (t?.fold.hide(seq)) this.touch(t);
  }

  /** Loads (or reloads) the members of a room: for mentions, the member list and my own mute. */
  async loadMembers(roomId: number): Promise<void> {
    const t = this.timelines.get(roomId);
    if (!t || t.loadingMembers) return;
    t.loadingMembers = true;
    try {
      await this.fetchMembers(t, false);
    } finally {
      t.loadingMembers = false;
    }
  }

  /**
   * What one newly applied event changes besides the timeline. `snapshot`: the event is part of a room read whose
   * listing says I am a member now, so an old removal of mine in it (I was added back since) drops nothing.
   */
  private effects(t: Timeline, e: EventDto, snapshot = false): void {
    const me = this.me;
    t.room = {
      ...t.room,
      last_seq: Math.max(t.room.last_seq, e.seq),
      last_activity_at: Math.max(t.room.last_activity_at, e.ts),
    };
    if (e.kind === 'message') {
      if (!t.lastMessage || e.seq > t.lastMessage.seq) t.lastMessage = e;
      if (e.sender === me) {
        if (e.client_msg_id) {
          t.myClientMsgIds.add(e.client_msg_id);
          this.outbox.remove(e.client_msg_id);
        }
        if (e.seq > t.readSeq) {
          t.readSeq = e.seq;
          this.recountUnread(t);
        }
      } else if (e.seq > t.readSeq && e.seq > t.countedThrough) {
        t.unread++;
        if (mentions(e, me)) t.mentioned = true;
      }
      if (t.typing.has(e.sender)) {
        const m = new Map(t.typing);
        m.delete(e.sender);
        t.typing = m;
      }
      // The sender has read their own message.
      if (t.reads.size > 0 && (t.reads.get(e.sender) ?? -1) < e.seq) t.reads = new Map(t.reads).set(e.sender, e.seq);
      return;
    }
    const users = e.users ?? [];
    if (e.kind === 'room_deleted') {
      if (!snapshot) queueMicrotask(() => this.dropRoom(t.room.id));
      return;
    }
    if (e.kind === 'member_left' || e.kind === 'member_removed' || e.kind === 'member_banned') {
      if (me !== undefined && users.includes(me)) {
        if (!snapshot) queueMicrotask(() => this.dropRoom(t.room.id));
        return;
      }
      if (t.members) {
        const m = new Map(t.members);
        for (const u of users) m.delete(u);
        t.members = m;
      }
      if (t.reads.size > 0) {
        const m = new Map(t.reads);
        for (const u of users) m.delete(u);
        t.reads = m;
      }
      t.room = { ...t.room, member_count: Math.max(1, t.room.member_count - users.length) };
    } else if (e.kind === 'members_joined' || e.kind === 'members_added') {
      if (t.reads.size > 0) {
        const m = new Map(t.reads);
        for (const u of users) if (!m.has(u)) m.set(u, e.seq);
        t.reads = m;
      }
      const fresh = users.filter((u) => u !== me || e.seq > 1).length;
      if (e.seq > 1) t.room = { ...t.room, member_count: t.room.member_count + fresh };
      if (t.members && users.some((u) => !t.members?.has(u))) void this.loadMembers(t.room.id);
    } else if (e.kind === 'role_changed' && e.role) {
      const role = e.role;
      if (me !== undefined && users.includes(me)) t.room = { ...t.room, my_role: role };
      this.updateMembers(t, users, (m) => ({ ...m, role }));
    } else if (e.kind === 'member_muted') {
      const until = e.until ?? Number.MAX_SAFE_INTEGER;
      this.updateMembers(t, users, (m) => ({ ...m, muted_until: until }));
    } else if (e.kind === 'member_unmuted') {
      this.updateMembers(t, users, (m) => ({ ...m, muted_until: null }));
    } else if (e.kind === 'room_updated') {
      t.room = {
        ...t.room,
        ...(e.name != null ? { name: e.name } : {}),
        ...(e.topic != null ? { topic: e.topic || null } : {}),
        ...(e.description != null ? { description: e.description || null } : {}),
        ...(e.approval_required != null ? { approval_required: e.approval_required } : {}),
      };
    }
    for (const u of users) this.deps.directory.user(u);
    this.deps.directory.user(e.sender);
  }

  private updateMembers(t: Timeline, users: readonly number[], change: (m: MemberDto) => MemberDto): void {
    if (!t.members) return;
    const m = new Map(t.members);
    for (const u of users) {
      const old = m.get(u);
      if (old) m.set(u, change(old));
    }
    t.members = m;
  }

  private recountUnread(t: Timeline): void {
    const me = this.me;
    t.mentioned = false;
    for (const e of t.events) {
      if (e.seq > t.readSeq && e.kind === 'message' && e.sender !== me && mentions(e, me) && !t.fold.messages.get(e.seq)?.deleted) t.mentioned = true;
    }
    if (t.base > t.readSeq) {
      // Not all unread events are held: keep the server's count, but it cannot exceed what remains.
      if (t.readSeq >= lastSeq(t)) t.unread = 0;
      return;
    }
    let n = 0;
    for (const e of t.events) if (e.seq > t.readSeq && e.kind === 'message' && e.sender !== me && !t.fold.messages.get(e.seq)?.deleted) n++;
    t.unread = n;
  }

  /** Fetches history after the last contiguous seq until the room is complete (or no progress is made). */
  private async fillGap(socket: FrameChannel, t: Timeline): Promise<void> {
    if (t.filling) return;
    t.filling = true;
    try {
      for (let i = 0; i < 1000; i++) {
        const after = lastSeq(t);
        const page = await this.history(t.room.id, { after, limit: GAP_PAGE }, socket);
        if (this.timelines.get(t.room.id) !== t) return;
        this.apply(t, page.events, Math.max(page.as_of ?? 0, after, ...page.events.map((e) => e.seq)));
        if (!page.has_more_after || lastSeq(t) === after) break;
      }
    } catch {
      // The next connection's sync catches up.
    } finally {
      t.filling = false;
      this.touch(t);
    }
  }

  /** Makes a room new to this device known: its description and newest page, then the events held meanwhile. */
  private bootstrapRoom(id: number, known?: RoomDto, trigger?: EventDto): Promise<void> {
    if (this.timelines.has(id)) return Promise.resolve();
    const running = this.bootstrapping.get(id);
    if (running) {
      if (trigger) running.queue.push(trigger);
      return running.done;
    }
    const queue: EventDto[] = trigger ? [trigger] : [];
    // Typing frames of a brand-new room arrive while it is fetched (the other member starts typing at once).
    const typing = new Map<number, number>();
    const done = this.fetchRoom(id, queue, known, typing).finally(() => this.bootstrapping.delete(id));
    this.bootstrapping.set(id, { queue, typing, done });
    return done;
  }

  private async fetchRoom(id: number, queue: EventDto[], known: RoomDto | undefined, typing: Map<number, number>): Promise<void> {
    try {
      const room = known ?? (await this.deps.api.room(id));
      const page = await this.history(id, { limit: OLDER_PAGE });
      if (this.timelines.has(id)) return;
      // The page's state is as of its read: at least the room as read before it, and its own newest event.
      const t = newTimeline(room, page.events, Math.max(page.as_of ?? 0, room.last_seq, ...page.events.map((e) => e.seq)));
      const me = this.me;
      // Where my read state starts: the event that added me (new members have read up to it).
      const added = [...page.events, ...queue].find(
        (e) => me !== undefined && (e.users ?? []).includes(me) && ['room_created', 'members_added', 'members_joined'].includes(e.kind),
      );
      t.readSeq = added ? added.seq : lastSeq(t);
      for (const e of t.events) this.effects(t, e, true);
      this.timelines.set(id, t);
      // Typing first: a message of the typist that arrived meanwhile ends it.
      for (const [user, until] of typing) this.showTyping(t, user, until);
      this.apply(t, queue);
      this.recountUnread(t);
      // Small rooms get per-member read receipts; before the first hello the next sync brings them.
      const large = this.deps.largeRoomMembers();
      if (large !== undefined && room.member_count <= large) void this.fetchMembers(t, true);
      if (room.peer) {
        this.deps.directory.user(room.peer);
        this.deps.onPeer(room.peer);
      }
      this.touch(t);
    } catch {
      // Network trouble or no longer a member: the next sync settles it.
    }
  }

  /** The member list (first page of 200): remembered as users, kept as the room's members, and (small rooms) reads. */
  private async fetchMembers(t: Timeline, reads: boolean): Promise<void> {
    try {
      const list = await this.deps.api.members(t.room.id);
      const current = this.timelines.get(t.room.id);
      if (!current) return;
      const members = new Map<number, MemberDto>();
      const large = this.deps.largeRoomMembers();
      const small = reads || current.reads.size > 0 || (large !== undefined && current.room.member_count <= large);
      const r = new Map(current.reads);
      for (const m of list.members) {
        this.deps.directory.remember({ id: m.user_id, username: m.username, display_name: m.display_name, created_at: 0 });
        members.set(m.user_id, m);
        if (small) r.set(m.user_id, Math.max(r.get(m.user_id) ?? 0, m.read_seq));
      }
      current.members = members;
      if (small) current.reads = r;
      const me = this.me;
      const mine = me !== undefined ? members.get(me) : undefined;
      if (mine && mine.role !== current.room.my_role) current.room = { ...current.room, my_role: mine.role };
      this.touch(current);
    } catch {
      // Read receipts and mentions are a nicety; the next open retries.
    }
  }

  dropRoom(id: number): void {
    if (this.timelines.delete(id)) {
      this.pendingReads.delete(id);
      this.emit();
    }
  }

  /** A page over the socket when open, else over REST (only REST pages carry `as_of`). */
  private async history(room: number, p: { before?: number; after?: number; limit?: number }, via?: FrameChannel): Promise<Omit<HistoryPage, 'as_of'> & { as_of?: number }> {
    const socket = via ?? this.socket;
    if (socket?.isOpen) {
      const f = await socket.request<HistoryFrame>({ type: 'history', room, ...p });
      return f;
    }
    return this.deps.api.history(room, p);
  }

  private transmit(item: OutboxItem, socket = this.socket): void {
    if (!socket || socket !== this.socket || !this.deps.live()) return;
    if (inFlight.get(item.client_msg_id) === socket) return;
    inFlight.set(item.client_msg_id, socket);
    socket
      .request<AckFrame>({
        type: 'send',
        room: item.room,
        client_msg_id: item.client_msg_id,
        text: item.text,
        reply_to: item.reply_to,
        mentions: item.mentions,
        mention_room: item.mention_room,
      })
      .then(
        (f) => this.acknowledged(item.client_msg_id, f.ack.seq),
        (e: unknown) => this.sendFailed(item.client_msg_id, e),
      )
      .finally(() => {
        if (inFlight.get(item.client_msg_id) === socket) inFlight.delete(item.client_msg_id);
      });
  }

  private acknowledged(clientMsgId: string, seq: number): void {
    const item = this.outbox.find(clientMsgId);
    if (!item) return;
    const t = this.timelines.get(item.room);
    if (t && (t.myClientMsgIds.has(clientMsgId) || (seq <= lastSeq(t) && t.events.some((e) => e.seq === seq)))) {
      this.outbox.remove(clientMsgId);
    } else {
      // Stored: shown as sent until its event reaches the timeline (live, or by gap fill).
      this.outbox.update(clientMsgId, { state: 'sent', seq });
      if (t && seq > lastSeq(t) && !t.filling && this.socket) void this.fillGap(this.socket, t);
    }
    this.emit();
  }

  private sendFailed(clientMsgId: string, e: unknown): void {
    const item = this.outbox.find(clientMsgId);
    if (!item) return;
    if (e instanceof LimeError) {
      if (e.code === 'rate_limited') {
        setTimeout(() => {
          const again = this.outbox.find(clientMsgId);
          if (again?.state === 'sending') this.transmit(again);
        }, Math.max(200, e.retryAfterMs ?? 1000));
        return;
      }
      if (permanentSendErrors.has(e.code)) {
        this.outbox.update(clientMsgId, { state: 'failed', error: describeError(e) });
        this.emit();
        return;
      }
      // unavailable / internal: outcome unknown, the same client_msg_id settles it.
      setTimeout(() => {
        const again = this.outbox.find(clientMsgId);
        if (again?.state === 'sending') this.transmit(again);
      }, 1000 + Math.random() * 1000);
      return;
    }
    if (!(e instanceof ConnectionLostError)) {
      this.outbox.update(clientMsgId, { state: 'failed', error: describeError(e) });
      this.emit();
    }
    // Connection lost: stays `sending`, re-sent after the reconnect's catch-up.
  }

  flushReads(): void {
    const socket = this.socket;
    for (const [room, seq] of [...this.pendingReads]) {
      if (socket && this.deps.live()) {
        socket.request<ReadFrame>({ type: 'read', room, seq }).then(
          (f) => {
            if (this.pendingReads.get(room) === seq) this.pendingReads.delete(room);
            this.applyRead({ ...f, user: this.me ?? f.user });
          },
          () => undefined, // re-sent after reconnecting
        );
      }
    }
  }

  private touch(t: Timeline): void {
    t.version++;
    this.emit();
  }

  private emit(): void {
    this.version++;
    this.deps.emit();
  }
}

/** Sends in flight, per client_msg_id, so one connection never carries the same message twice at once. */
const inFlight = new Map<string, FrameChannel>();

/** A room's timeline from a read: `asOf` is the seq its messages' state is known to. */
function newTimeline(room: RoomDto, events: readonly EventDto[], asOf: number, hidden?: readonly number[] | null): Timeline {
  const sorted = [...events].sort((a, b) => a.seq - b.seq);
  // Keep only the contiguous run ending at the newest event.
  let start = sorted.length - 1;
  while (start > 0 && sorted[start - 1].seq === sorted[start].seq - 1) start--;
  const held = sorted.slice(Math.max(0, start));
  const base = held.length ? held[0].seq - 1 : room.last_seq;
  const fold = new MessageFold();
  for (const seq of hidden ?? []) fold.hide(seq);
  fold.loadPins(room.pinned, room.last_seq);
  fold.load(held, asOf);
  return {
    room: { ...room },
    events: held,
    base,
    hasMoreBefore: base > 0,
    loadingOlder: false,
    readSeq: 0,
    unread: 0,
    reads: new Map(),
    typing: new Map(),
    lastMessage: null,
    messages: fold.messages,
    pinned: fold.pins.seqs,
    members: null,
    loadingMembers: false,
    mentioned: false,
    fold,
    version: 0,
    early: new Map(),
    filling: false,
    myClientMsgIds: new Set(),
    countedThrough: room.last_seq,
  };
}

export function lastSeq(t: RoomState): number {
  return t.events.length ? t.events[t.events.length - 1].seq : t.base;
}

function activity(t: RoomState): number {
  return t.room.last_activity_at;
}


/** Whether a message mentions this user (by id or @room). */
export function mentions(e: EventDto, me: number | undefined): boolean {
  return me !== undefined && (e.mention_room === true || (e.mentions ?? []).includes(me));
}
