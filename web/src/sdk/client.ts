import { LimeApi } from './api';
import { ConnectionLostError, LimeError, SessionEndedError, describeError } from './errors';
import { Outbox, newClientMsgId, type OutboxItem } from './outbox';
import { LimeSocket } from './socket';
import { TokenStore, refreshMargin, type KeyValueStorage } from './tokens';
import {
  CloseCodes,
  permanentSendErrors,
  type AckFrame,
  type ContactDto,
  type EventDto,
  type HelloFrame,
  type HistoryFrame,
  type HistoryPage,
  type ReadFrame,
  type RoomDto,
  type ServerFrame,
  type SyncCursor,
  type SyncFrame,
  type SyncResponse,
  type UserDto,
} from './types';

/** Where the connection loop is: the UI shows a banner for everything but `live`. */
export type ConnectionStatus = 'connecting' | 'catching_up' | 'live' | 'offline' | 'signed_out';

export interface ConnectionInfo {
  status: ConnectionStatus;
  /** When the next reconnect attempt is due (status `offline`). */
  retryAt?: number;
  /** Whether the browser reports no network at all. */
  networkDown: boolean;
  /** True once a first catch-up finished (before that the room list is still loading). */
  ready: boolean;
}

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
  /** Bumped on every change of this room (for memoisation). */
  version: number;
}

export interface Presence {
  online: boolean;
  lastSeen?: number | null;
}

interface Timeline extends RoomState {
  events: EventDto[];
  reads: Map<number, number>;
  typing: Map<number, number>;
  early: Map<number, EventDto>;
  filling: boolean;
  myClientMsgIds: Set<string>;
  /** Messages up to this seq are already in `unread` (the server counted them at sync). */
  countedThrough: number;
}

const GAP_PAGE = 200;
const OLDER_PAGE = 50;
const MAX_BACKOFF_MS = 30_000;
const TYPING_EVERY_MS = 2500;

/**
 * The LIME client loop for a browser (docs/protocol.md §7), and the state the UI renders:
 *
 * 1. connect `/ws` (token refreshed first when it is about to expire), wait for `hello`;
 * 2. catch up with one `sync` frame carrying this device's per-room cursors; live events that arrive meanwhile
 *    are held and applied after it;
 * 3. apply events per room strictly in seq order: a seq already held is a duplicate and dropped, a seq past a gap
 *    is held while the gap is filled from history;
 * 4. send through a persistent outbox; each message keeps its client_msg_id across retries and reconnects, so the
 *    server stores it once; permanent refusals mark it failed (retry or discard from the UI);
 * 5. on any drop (except 4001 "logged out") reconnect after a random delay in [0, min(30 s, 0.5 s × 2^attempt)],
 *    immediately when the browser comes back online. A lost network is noticed through the browser's `offline`
 *    event and through missing pongs (a browser keeps a dead WebSocket "open" for minutes).
 *
 * Listeners are told after every change; reading state is synchronous.
 */
export class LimeClient {
  readonly api: LimeApi;
  private readonly timelines = new Map<number, Timeline>();
  private readonly outbox: Outbox;
  private readonly users = new Map<number, UserDto>();
  private readonly userRequests = new Set<number>();
  private readonly presence = new Map<number, Presence>();
  /** Users whose current presence was asked for on this connection (REST), and presence frames seen per user. */
  private readonly presenceAsked = new Set<number>();
  private readonly presenceFrames = new Map<number, number>();
  private contactList: ContactDto[] = [];
  private readonly listeners = new Set<() => void>();
  /** Rooms being fetched because they are new to this device, with the live events that arrived meanwhile. */
  private readonly bootstrapping = new Map<number, { queue: EventDto[]; typing: Map<number, number>; done: Promise<void> }>();
  private readonly pendingReads = new Map<number, number>();
  private readonly lastTypingSent = new Map<number, number>();
  private socket: LimeSocket | null = null;
  private hello: HelloFrame | null = null;
  private connecting = false;
  private connectSeq = 0;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private held: ServerFrame[] | null = null;
  private info: ConnectionInfo = { status: 'connecting', networkDown: false, ready: false };
  private started = false;
  private version = 0;
  private emitQueued = false;
  private listCache: { version: number; rooms: RoomState[] } | null = null;
  private readonly windowListeners: [string, EventListener][] = [];
  private unsubscribeTokens: (() => void) | null = null;

  constructor(api?: LimeApi, storage: KeyValueStorage | null = defaultStorage()) {
    this.api = api ?? new LimeApi(new TokenStore(storage));
    this.outbox = new Outbox(storage);
  }

  // ------------------------------------------------------------------ lifecycle

  /** The signed-in user (null when signed out). */
  get me(): UserDto | null {
    return this.api.tokens.get()?.user ?? null;
  }

  /** Starts the connection loop for the signed-in user. */
  start(): void {
    const session = this.api.tokens.get();
    if (!session || this.started) return;
    this.started = true;
    this.users.set(session.user.id, session.user);
    this.outbox.load(session.user.id);
    this.on('online', () => this.reconnectNow());
    this.on('offline', () => {
      this.info = { ...this.info, networkDown: true };
      this.socket?.close(4000, 'network down');
      this.emit();
    });
    this.on('visibilitychange', () => {
      if (document.visibilityState === 'visible' && !this.socket && !this.connecting) this.reconnectNow();
    });
    this.unsubscribeTokens = this.api.tokens.subscribe(() => this.scheduleRefresh());
    this.scheduleRefresh();
    void this.connect();
  }

  /** Stops everything (sign-out or unmount). */
  stop(): void {
    this.started = false;
    clearTimeout(this.retryTimer);
    clearTimeout(this.refreshTimer);
    this.unsubscribeTokens?.();
    this.unsubscribeTokens = null;
    for (const [name, fn] of this.windowListeners) {
      (name === 'visibilitychange' ? document : window).removeEventListener(name, fn);
    }
    this.windowListeners.length = 0;
    this.connectSeq++;
    this.connecting = false;
    const s = this.socket;
    this.socket = null;
    s?.close();
  }

  async logout(): Promise<void> {
    this.stop();
    // Unsent messages stay on a shared computer otherwise.
    for (const item of [...this.outbox.all()]) this.outbox.remove(item.client_msg_id);
    await this.api.logout();
  }

  // ------------------------------------------------------------------ reading state

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  getVersion = (): number => this.version;

  get connection(): ConnectionInfo {
    return this.info;
  }

  /** Largest message text in UTF-8 bytes, as announced by the server (default before the first hello). */
  get maxTextBytes(): number {
    return this.hello?.max_text_bytes ?? 102_400;
  }

  /**
   * Rooms with more members than this are large: no typing, no per-member read receipts (announced in `hello` as
   * `large_room_members`; undefined before the first hello).
   */
  get largeRoomMembers(): number | undefined {
    return this.hello?.large_room_members;
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

  /** A user's profile; unknown ones are fetched and announced through the listeners. */
  user(id: number): UserDto | undefined {
    const u = this.users.get(id);
    if (!u && !this.userRequests.has(id)) {
      this.userRequests.add(id);
      this.api.user(id).then(
        (dto) => {
          this.users.set(id, dto);
          this.emit();
        },
        () => {
          setTimeout(() => this.userRequests.delete(id), 10_000);
        },
      );
    }
    return u;
  }

  displayName(id: number): string {
    if (id === this.me?.id) return this.me.display_name;
    return this.user(id)?.display_name ?? `user ${id}`;
  }

  /** A room's title: its name, or the other person's name in a direct chat. */
  roomTitle(room: RoomDto): string {
    if (room.kind === 'direct') return room.peer ? this.displayName(room.peer) : 'Direct chat';
    return room.name ?? `Room ${room.id}`;
  }

  /** What we know of a user's presence; nothing while disconnected (it would be stale). */
  presenceOf(userId: number): Presence | undefined {
    return this.info.status === 'live' ? this.presence.get(userId) : undefined;
  }

  contacts(): readonly ContactDto[] {
    return this.contactList;
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

  // ------------------------------------------------------------------ actions

  /** Queues a message; it is sent now if connected, else after reconnecting. Returns its client_msg_id. */
  send(room: number, text: string, replyTo?: number): string {
    const item: OutboxItem = {
      client_msg_id: newClientMsgId(),
      room,
      text,
      reply_to: replyTo,
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
    this.touch(t);
    this.pendingReads.set(roomId, t.readSeq);
    this.flushReads();
  }

  /** Tells the room I am typing (throttled). */
  typing(roomId: number): void {
    const now = Date.now();
    if (now - (this.lastTypingSent.get(roomId) ?? 0) < TYPING_EVERY_MS) return;
    if (this.info.status !== 'live' || !this.socket) return;
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
      const page = await this.history(roomId, { before, limit });
      const current = this.timelines.get(roomId);
      if (current !== t) return;
      const older = page.events.filter((e) => e.seq <= t.base).sort((a, b) => a.seq - b.seq);
      if (older.length) {
        t.events = [...older, ...t.events];
        t.base = older[0].seq - 1;
        for (const e of older) if (e.sender === this.me?.id && e.client_msg_id) t.myClientMsgIds.add(e.client_msg_id);
      }
      t.hasMoreBefore = older.length > 0 ? page.has_more_before && t.base > 0 : false;
      this.recountUnread(t);
    } catch {
      // Offline or a transient error: scrolling up again retries.
    } finally {
      t.loadingOlder = false;
      this.touch(t);
    }
  }

  /** Loads history backwards until `seq` is held (for jumping to a replied-to message). */
  async ensureLoaded(roomId: number, seq: number): Promise<boolean> {
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

  /** Opens (or creates) the direct chat with a user found by username. */
  async directWithUsername(username: string): Promise<RoomDto> {
    const user = await this.api.userByName(username);
    return this.directWith(user);
  }

  async directWith(user: UserDto | { id: number }): Promise<RoomDto> {
    if ('username' in user) this.users.set(user.id, user);
    const room = await this.api.createDirect(user.id);
    // A direct chat partner becomes a contact: that is what lets us see their presence.
    if (!this.contactList.some((c) => c.user_id === user.id)) {
      this.api.addContact(user.id).then(() => this.loadContacts(), () => undefined);
    }
    await this.adopt(room);
    return room;
  }

  async createGroup(name: string, usernames: string[]): Promise<RoomDto> {
    const ids: number[] = [];
    for (const n of usernames) {
      const u = await this.api.userByName(n);
      this.users.set(u.id, u);
      ids.push(u.id);
    }
    const room = await this.api.createRoom('group', name, ids);
    await this.adopt(room);
    return room;
  }

  async createChannel(name: string, topic?: string): Promise<RoomDto> {
    const room = await this.api.createRoom('channel', name, [], topic);
    await this.adopt(room);
    return room;
  }

  async joinChannel(id: number): Promise<RoomDto> {
    const room = await this.api.join(id);
    await this.adopt(room);
    return room;
  }

  async leave(roomId: number): Promise<void> {
    await this.api.leave(roomId);
    this.dropRoom(roomId);
  }

  async addContactByUsername(username: string): Promise<void> {
    const u = await this.api.userByName(username);
    this.users.set(u.id, u);
    await this.api.addContact(u.id);
    await this.loadContacts();
  }

  async loadContacts(): Promise<void> {
    try {
      this.contactList = await this.api.contacts();
      for (const c of this.contactList) {
        // Only a mutual contact's presence is shown there (others read as offline, which says nothing).
        if (c.mutual) this.presence.set(c.user_id, { online: c.online, lastSeen: c.last_seen });
        if (!this.users.has(c.user_id)) {
          this.users.set(c.user_id, { id: c.user_id, username: c.username, display_name: c.display_name, created_at: 0 });
        }
      }
      this.emit();
    } catch {
      // Shown again on the next connect.
    }
  }

  /** Makes a room known to this device right away (after creating or joining it over REST). */
  async adopt(room: RoomDto): Promise<void> {
    if (this.timelines.has(room.id)) return;
    await this.bootstrapRoom(room.id, room);
  }

  /**
   * Asks once per connection for the current presence of a direct-chat partner. Presence frames carry changes only,
   * and a partner who is not a mutual contact is not in the contact list, so without this a partner who was already
   * online when the chat was created (or when this device connected) would never be shown online.
   */
  private watchPresence(userId: number): void {
    if (userId === this.me?.id || this.presenceAsked.has(userId) || this.info.status !== 'live') return;
    this.presenceAsked.add(userId);
    const framesBefore = this.presenceFrames.get(userId) ?? 0;
    this.api.presence(userId).then(
      (p) => {
        // A frame that arrived meanwhile is newer than this answer.
        if ((this.presenceFrames.get(userId) ?? 0) !== framesBefore) return;
        this.presence.set(userId, { online: p.online, lastSeen: p.last_seen });
        this.emit();
      },
      () => this.presenceAsked.delete(userId), // not allowed (blocked, left) or offline: asked again later
    );
  }

  // ------------------------------------------------------------------ connection loop

  private on(name: string, fn: EventListener): void {
    (name === 'visibilitychange' ? document : window).addEventListener(name, fn);
    this.windowListeners.push([name, fn]);
  }

  /** Reconnects at once (the banner's "Retry now", the browser's `online` event). */
  reconnectNow(): void {
    this.info = { ...this.info, networkDown: !navigator.onLine };
    if (!this.started || this.socket || this.connecting) {
      this.emit();
      return;
    }
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (!this.started || this.connecting || this.socket) return;
    if (!navigator.onLine) {
      this.scheduleRetry(true);
      return;
    }
    // Every attempt has its own number; stop() and newer attempts make older ones stale (their frames and close
    // are ignored), which also keeps React's mount → unmount → mount in development harmless.
    const attempt = ++this.connectSeq;
    const current = () => attempt === this.connectSeq && this.started;
    this.connecting = true;
    this.setStatus('connecting');
    let socket: LimeSocket | null = null;
    try {
      if (this.attempt >= 2) {
        // A refused upgrade looks like any other failure to a browser; a REST call shows whether the token is
        // the problem (a 401 there refreshes it).
        await this.api.me().catch((e: unknown) => {
          if (e instanceof SessionEndedError) throw e;
        });
      }
      const url = await this.api.socketUrl();
      if (!current()) return;
      this.held = [];
      socket = await LimeSocket.connect(url, {
        onFrame: (f) => {
          if (current()) this.onFrame(f);
        },
        onClose: (code) => {
          if (current()) this.onClose(code);
        },
      });
      if (!current()) {
        socket.close();
        return;
      }
      this.socket = socket;
      this.hello = socket.hello;
      this.setStatus('catching_up');
      const reply = await socket.request<SyncFrame>({ type: 'sync', cursors: this.cursors() });
      if (!current()) return;
      await this.applySync(socket, reply.sync);
      const held = this.held ?? [];
      this.held = null;
      for (const f of held) this.onFrame(f);
      if (this.socket !== socket || !current()) return;
      this.attempt = 0;
      this.info = { ...this.info, ready: true, networkDown: false };
      this.setStatus('live');
      void this.loadContacts();
      for (const t of this.timelines.values()) if (t.room.peer) this.watchPresence(t.room.peer);
      this.flushReads();
      for (const item of this.outbox.all()) if (item.state === 'sending') this.transmit(item);
    } catch (e) {
      if (!current()) return;
      this.held = null;
      if (e instanceof SessionEndedError) {
        this.signedOut();
        return;
      }
      if (socket) {
        // Its close handler schedules the retry (it already did if the socket died first).
        if (socket.isOpen) socket.close(1000, 'catch-up failed');
      } else {
        this.scheduleRetry();
      }
    } finally {
      if (attempt === this.connectSeq) this.connecting = false;
    }
  }

  private onClose(code: number): void {
    this.socket = null;
    // Presence frames sent while disconnected are lost: ask again on the next connection.
    this.presenceAsked.clear();
    this.held = null;
    if (code === CloseCodes.loggedOut) {
      this.api.tokens.clear();
      this.signedOut();
      return;
    }
    if (this.started) this.scheduleRetry();
  }

  private scheduleRetry(networkDown = !navigator.onLine): void {
    if (!this.started) return;
    clearTimeout(this.retryTimer);
    this.attempt++;
    const ceiling = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(this.attempt, 16));
    // Without network only the `online` event (or a slow fallback poll, in case the browser is wrong) resumes.
    const delay = networkDown ? MAX_BACKOFF_MS : Math.max(100, Math.random() * ceiling);
    this.info = { ...this.info, status: 'offline', retryAt: Date.now() + delay, networkDown };
    this.emit();
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  private setStatus(status: ConnectionStatus): void {
    this.info = { ...this.info, status, retryAt: undefined };
    this.emit();
  }

  private signedOut(): void {
    this.stop();
    this.info = { ...this.info, status: 'signed_out' };
    this.emit();
  }

  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    const s = this.api.tokens.get();
    if (!s || !this.started) return;
    // Refresh ahead of expiry (the open socket is unaffected; the new token is for REST and reconnects).
    const due = Math.max(1_000, s.expires_at - Date.now() - refreshMargin(s));
    this.refreshTimer = setTimeout(() => {
      this.api.accessToken(true).then(
        () => this.scheduleRefresh(),
        (e: unknown) => {
          if (e instanceof SessionEndedError) this.signedOut();
          else {
            this.refreshTimer = setTimeout(() => this.scheduleRefresh(), 15_000);
          }
        },
      );
    }, due);
  }

  private cursors(): SyncCursor[] {
    const cursors: SyncCursor[] = [];
    for (const t of this.timelines.values()) {
      const seq = lastSeq(t);
      if (seq > 0) cursors.push({ room: t.room.id, seq });
    }
    return cursors;
  }

  // ------------------------------------------------------------------ frames

  private onFrame(frame: ServerFrame): void {
    if (this.held && frame.type !== 'typing' && frame.type !== 'presence') {
      this.held.push(frame);
      return;
    }
    switch (frame.type) {
      case 'event':
        this.applyLive(frame.event);
        break;
      case 'read':
        this.applyRead(frame);
        break;
      case 'typing': {
        if (frame.user === this.me?.id) break;
        const until = Date.now() + frame.expires_in_ms;
        const t = this.timelines.get(frame.room);
        if (t) this.showTyping(t, frame.user, until);
        else this.bootstrapping.get(frame.room)?.typing.set(frame.user, until); // shown once the room is fetched
        break;
      }
      case 'presence':
        this.presenceFrames.set(frame.user, (this.presenceFrames.get(frame.user) ?? 0) + 1);
        this.presence.set(frame.user, { online: frame.online, lastSeen: frame.last_seen });
        this.emit();
        break;
      default:
        break;
    }
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

  private applyRead(frame: ReadFrame): void {
    const t = this.timelines.get(frame.room);
    if (!t) return;
    if (frame.user === this.me?.id) {
      if (frame.seq > t.readSeq) {
        t.readSeq = frame.seq;
        this.recountUnread(t);
      }
    }
    if (t.reads.size > 0 || frame.user !== this.me?.id) {
      if ((t.reads.get(frame.user) ?? -1) < frame.seq) {
        t.reads = new Map(t.reads).set(frame.user, frame.seq);
      }
    }
    this.touch(t);
  }

  private applyLive(e: EventDto): void {
    const t = this.timelines.get(e.room);
    if (!t) {
      void this.bootstrapRoom(e.room, undefined, e);
      return;
    }
    this.apply(t, [e]);
  }

  private async applySync(socket: LimeSocket, sync: SyncResponse): Promise<void> {
    for (const id of sync.left) this.dropRoom(id);
    const listed = new Set(sync.rooms.map((r) => r.room.id));
    for (const id of [...this.timelines.keys()]) if (!listed.has(id)) this.dropRoom(id);

    const fills: Promise<void>[] = [];
    for (const r of sync.rooms) {
      let t = this.timelines.get(r.room.id);
      if (!t || r.snapshot) {
        // New to this device, or too far behind: start again from the newest page (older events are history).
        const previous = t;
        t = newTimeline(r.room, r.events);
        if (previous) t.typing = previous.typing;
        this.timelines.set(r.room.id, t);
        for (const e of t.events) this.effects(t, e);
      } else {
        t.room = { ...r.room };
        t.countedThrough = r.room.last_seq;
        this.apply(t, r.events);
        if (r.has_more) fills.push(this.fillGap(socket, t));
      }
      t.readSeq = Math.max(t.readSeq, r.read_seq);
      t.unread = r.unread_count;
      if (r.reads) t.reads = new Map(r.reads.map((x) => [x.user, x.seq]));
      if (t.room.peer) this.user(t.room.peer);
      this.touch(t);
    }
    await Promise.all(fills);
  }

  /** Applies events in seq order: duplicates dropped, events past a gap held until the gap is filled. */
  private apply(t: Timeline, events: readonly EventDto[]): void {
    for (const e of events) {
      if (e.seq <= lastSeq(t) || t.early.has(e.seq)) continue;
      t.early.set(e.seq, e);
    }
    const added: EventDto[] = [];
    let last = lastSeq(t);
    for (let next = t.early.get(last + 1); next; next = t.early.get(last + 1)) {
      t.early.delete(next.seq);
      added.push(next);
      last = next.seq;
    }
    if (added.length) {
      t.events = [...t.events, ...added];
      for (const e of added) this.effects(t, e);
      this.touch(t);
    }
    if (t.early.size > 0 && !t.filling && this.socket) void this.fillGap(this.socket, t);
  }

  /** What one newly applied event changes besides the timeline. */
  private effects(t: Timeline, e: EventDto): void {
    const me = this.me?.id;
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
    if (e.kind === 'member_left' || e.kind === 'member_removed') {
      if (me !== undefined && users.includes(me)) {
        queueMicrotask(() => this.dropRoom(t.room.id));
        return;
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
    }
    for (const u of users) this.user(u);
    this.user(e.sender);
  }

  private recountUnread(t: Timeline): void {
    if (t.base > t.readSeq) {
      // Not all unread events are held: keep the server's count, but it cannot exceed what remains.
      if (t.readSeq >= lastSeq(t)) t.unread = 0;
      return;
    }
    const me = this.me?.id;
    let n = 0;
    for (const e of t.events) if (e.seq > t.readSeq && e.kind === 'message' && e.sender !== me) n++;
    t.unread = n;
  }

  /** Fetches history after the last contiguous seq until the room is complete (or no progress is made). */
  private async fillGap(socket: LimeSocket, t: Timeline): Promise<void> {
    if (t.filling) return;
    t.filling = true;
    try {
      for (let i = 0; i < 1000; i++) {
        const after = lastSeq(t);
        const page = await this.history(t.room.id, { after, limit: GAP_PAGE }, socket);
        if (this.timelines.get(t.room.id) !== t) return;
        this.apply(t, page.events);
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
      const room = known ?? (await this.api.room(id));
      const page = await this.history(id, { limit: OLDER_PAGE });
      if (this.timelines.has(id)) return;
      const t = newTimeline(room, page.events);
      const me = this.me?.id;
      // Where my read state starts: the event that added me (new members have read up to it).
      const added = [...page.events, ...queue].find(
        (e) => me !== undefined && (e.users ?? []).includes(me) && ['room_created', 'members_added', 'members_joined'].includes(e.kind),
      );
      t.readSeq = added ? added.seq : lastSeq(t);
      for (const e of t.events) this.effects(t, e);
      this.timelines.set(id, t);
      this.apply(t, queue);
      this.recountUnread(t);
      for (const [user, until] of typing) this.showTyping(t, user, until);
      // Small rooms get per-member read receipts; before the first hello the next sync brings them.
      const large = this.largeRoomMembers;
      if (large !== undefined && room.member_count <= large) void this.loadReads(t);
      if (room.peer) {
        this.user(room.peer);
        this.watchPresence(room.peer);
      }
      this.touch(t);
    } catch {
      // Network trouble or no longer a member: the next sync settles it.
    }
  }

  private async loadReads(t: Timeline): Promise<void> {
    try {
      const list = await this.api.members(t.room.id);
      if (this.timelines.get(t.room.id) !== t) return;
      const reads = new Map(t.reads);
      for (const m of list.members) {
        this.users.set(m.user_id, { id: m.user_id, username: m.username, display_name: m.display_name, created_at: 0 });
        reads.set(m.user_id, Math.max(reads.get(m.user_id) ?? 0, m.read_seq));
      }
      t.reads = reads;
      this.touch(t);
    } catch {
      // Read receipts are a nicety.
    }
  }

  private dropRoom(id: number): void {
    if (this.timelines.delete(id)) {
      this.pendingReads.delete(id);
      this.emit();
    }
  }

  /** A page over the socket when open, else over REST (only REST pages carry `as_of`). */
  private async history(room: number, p: { before?: number; after?: number; limit?: number }, via?: LimeSocket): Promise<Omit<HistoryPage, 'as_of'>> {
    const socket = via ?? this.socket;
    if (socket?.isOpen) {
      const f = await socket.request<HistoryFrame>({ type: 'history', room, ...p });
      return f;
    }
    return this.api.history(room, p);
  }

  // ------------------------------------------------------------------ sending

  private transmit(item: OutboxItem, socket = this.socket): void {
    if (!socket || socket !== this.socket || this.info.status !== 'live') return;
    if (inFlight.get(item.client_msg_id) === socket) return;
    inFlight.set(item.client_msg_id, socket);
    socket
      .request<AckFrame>({
        type: 'send',
        room: item.room,
        client_msg_id: item.client_msg_id,
        text: item.text,
        reply_to: item.reply_to,
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

  private flushReads(): void {
    const socket = this.socket;
    for (const [room, seq] of [...this.pendingReads]) {
      if (socket && this.info.status === 'live') {
        socket.request<ReadFrame>({ type: 'read', room, seq }).then(
          (f) => {
            if (this.pendingReads.get(room) === seq) this.pendingReads.delete(room);
            this.applyRead({ ...f, user: this.me?.id ?? f.user });
          },
          () => undefined, // re-sent after reconnecting
        );
      }
    }
  }

  // ------------------------------------------------------------------ change notification

  private touch(t: Timeline): void {
    t.version++;
    this.emit();
  }

  private emit(): void {
    this.version++;
    if (this.emitQueued) return;
    this.emitQueued = true;
    queueMicrotask(() => {
      this.emitQueued = false;
      for (const l of this.listeners) l();
    });
  }
}

/** Sends in flight, per client_msg_id, so one connection never carries the same message twice at once. */
const inFlight = new Map<string, LimeSocket>();

function newTimeline(room: RoomDto, events: readonly EventDto[]): Timeline {
  const sorted = [...events].sort((a, b) => a.seq - b.seq);
  // Keep only the contiguous run ending at the newest event.
  let start = sorted.length - 1;
  while (start > 0 && sorted[start - 1].seq === sorted[start].seq - 1) start--;
  const held = sorted.slice(Math.max(0, start));
  const base = held.length ? held[0].seq - 1 : room.last_seq;
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
    version: 0,
    early: new Map(),
    filling: false,
    myClientMsgIds: new Set(),
    countedThrough: room.last_seq,
  };
}

function lastSeq(t: RoomState): number {
  return t.events.length ? t.events[t.events.length - 1].seq : t.base;
}

function activity(t: RoomState): number {
  return t.room.last_activity_at;
}

function defaultStorage(): KeyValueStorage | null {
  try {
    return typeof window !== 'undefined' ? window.localStorage : null;
  } catch {
    return null;
  }
}

export type { OutboxItem };
