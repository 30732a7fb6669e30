import { LimeApi } from './api';
import { Commands, type JoinOutcome } from './commands';
import { Connection, type BrowserEnv, type ConnectionInfo, type OpenSocket, type SocketOpener } from './connection';
import { Directory, type Presence } from './directory';
import { Outbox, type OutboxItem } from './outbox';
import { Timelines, type RoomState, type SendOptions } from './timelines';
import { TokenStore, type KeyValueStorage } from './tokens';
import type { ContactDto, OperationAckDto, RoomDto, SearchFrame, SearchResponse, ServerFrame, SyncFrame, UserDto } from './types';

export type { ConnectionInfo, ConnectionStatus } from './connection';
export type { Presence } from './directory';
export type { RoomState, SendOptions } from './timelines';
export type { JoinOutcome } from './commands';
export type { MessageState, Reaction } from './messages';
export type { OutboxItem };

/**
 * The LIME client for a browser (docs/protocol.md §7) and the state the UI renders, put together from four parts:
 *
 * - {@link Connection}: the socket loop — tokens, connect, catch-up, reconnect with backoff;
 * - {@link Timelines}: the rooms and their events — seq order, gap fill, new rooms, read state, typing, the outbox;
 * - {@link Directory}: users, presence, contacts;
 * - {@link Commands}: creating, joining and leaving rooms, adding contacts.
 *
 * Listeners are told after every change (batched per microtask); reading state is synchronous.
 */
export class LimeClient {
  readonly api: LimeApi;
  private readonly directory: Directory;
  private readonly timelines: Timelines;
  private readonly conn: Connection;
  private readonly commands: Commands;
  private readonly outbox: Outbox;
  private readonly listeners = new Set<() => void>();
  private version = 0;
  private emitQueued = false;

  constructor(api?: LimeApi, storage: KeyValueStorage | null = defaultStorage(), env?: BrowserEnv, openSocket?: SocketOpener) {
    this.api = api ?? new LimeApi(new TokenStore(storage));
    this.outbox = new Outbox(storage);
    const emit = () => this.emit();
    this.directory = new Directory(this.api, () => this.me, emit);
    this.conn = new Connection(
      this.api,
      {
        onFrame: (f) => this.onFrame(f),
        catchUp: (socket) => this.catchUp(socket),
        onLive: () => this.onLive(),
        onLost: () => this.directory.connectionLost(),
        onSignedOut: () => undefined,
        emit,
      },
      env,
      openSocket,
    );
    this.timelines = new Timelines({
      api: this.api,
      outbox: this.outbox,
      directory: this.directory,
      me: () => this.me?.id,
      socket: () => this.conn.socket,
      live: () => this.conn.isLive,
      largeRoomMembers: () => this.largeRoomMembers,
      onPeer: (peer) => {
        if (this.conn.isLive) this.directory.watchPresence(peer);
      },
      emit,
    });
    this.commands = new Commands(this.api, {
      directory: this.directory,
      adopt: (room) => this.timelines.adopt(room),
      dropRoom: (id) => this.timelines.dropRoom(id),
      hide: (room, seq) => this.timelines.applyHidden(room, seq),
    });
  }

  // ------------------------------------------------------------------ lifecycle

  /** The signed-in user (null when signed out). */
  get me(): UserDto | null {
    return this.api.tokens.get()?.user ?? null;
  }

  /** Starts the connection loop for the signed-in user. */
  start(): void {
    const session = this.api.tokens.get();
    if (!session || this.conn.running) return;
    this.directory.remember(session.user);
    this.outbox.load(session.user.id);
    this.conn.start();
  }

  /** Stops everything (sign-out or unmount). */
  stop(): void {
    this.conn.stop();
  }

  async logout(): Promise<void> {
    this.stop();
    // Unsent messages stay on a shared computer otherwise.
    this.timelines.clearOutbox();
    await this.api.logout();
  }

  /** Reconnects at once (the banner's "Retry now"). */
  reconnectNow(): void {
    this.conn.reconnectNow();
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
    return this.conn.info;
  }

  /** Largest message text in UTF-8 bytes, as announced by the server (default before the first hello). */
  get maxTextBytes(): number {
    return this.conn.hello?.max_text_bytes ?? 102_400;
  }

  /**
   * Rooms with more members than this are large: no typing, no per-member read receipts (announced in `hello` as
   * `large_room_members`; undefined before the first hello).
   */
  get largeRoomMembers(): number | undefined {
    return this.conn.hello?.large_room_members;
  }

  /** My rooms, most recent activity first. */
  rooms(): RoomState[] {
    return this.timelines.rooms();
  }

  room(id: number): RoomState | undefined {
    return this.timelines.room(id);
  }

  totalUnread(): number {
    return this.timelines.totalUnread();
  }

  /** Messages of this room still in the outbox (sending, failed, or acknowledged but not yet in the timeline). */
  pending(room: number): OutboxItem[] {
    return this.timelines.pending(room);
  }

  /** A user's profile; unknown ones are fetched and announced through the listeners. */
  user(id: number): UserDto | undefined {
    return this.directory.user(id);
  }

  displayName(id: number): string {
    return this.directory.displayName(id);
  }

  /** A room's title: its name, or the other person's name in a direct chat. */
  roomTitle(room: RoomDto): string {
    return this.directory.roomTitle(room);
  }

  /** What we know of a user's presence; nothing while disconnected (it would be stale). */
  presenceOf(userId: number): Presence | undefined {
    return this.conn.info.status === 'live' ? this.directory.presenceOf(userId) : undefined;
  }

  contacts(): readonly ContactDto[] {
    return this.directory.contacts();
  }

  /** Members of a small room who have not read up to `seq` (the sender excluded); undefined in large rooms. */
  unreadBy(room: RoomState, seq: number, sender: number): number | undefined {
    return this.timelines.unreadBy(room, seq, sender);
  }

  // ------------------------------------------------------------------ actions

  /** Queues a message; it is sent now if connected, else after reconnecting. Returns its client_msg_id. */
  send(room: number, text: string, options?: SendOptions): string {
    return this.timelines.send(room, text, options);
  }

  /** Sends a failed message again, with the same client_msg_id. */
  retry(clientMsgId: string): void {
    this.timelines.retry(clientMsgId);
  }

  discard(clientMsgId: string): void {
    this.timelines.discard(clientMsgId);
  }

  /** Marks everything held in the room as read (optimistically; sent when connected). */
  markRead(roomId: number): void {
    this.timelines.markRead(roomId);
  }

  /** Tells the room I am typing (throttled). */
  typing(roomId: number): void {
    this.timelines.typing(roomId);
  }

  /** Loads the page of history before the oldest held event. */
  loadOlder(roomId: number, limit?: number): Promise<void> {
    return this.timelines.loadOlder(roomId, limit);
  }

  /** Loads history backwards until `seq` is held (for jumping to a replied-to message). */
  ensureLoaded(roomId: number, seq: number): Promise<boolean> {
    return this.timelines.ensureLoaded(roomId, seq);
  }

  directWithUsername(username: string): Promise<RoomDto> {
    return this.commands.directWithUsername(username);
  }

  directWith(user: UserDto | { id: number }): Promise<RoomDto> {
    return this.commands.directWith(user);
  }

  createGroup(name: string, usernames: string[]): Promise<RoomDto> {
    return this.commands.createGroup(name, usernames);
  }

  createChannel(name: string, topic?: string): Promise<RoomDto> {
    return this.commands.createChannel(name, topic);
  }

  /** Joins a channel; `{pending: true}` when it requires approval (nothing to open yet). */
  joinChannel(id: number): Promise<JoinOutcome> {
    return this.commands.joinChannel(id);
  }

  /** Forgets a room at once (after deleting it; its `room_deleted` event does the same). */
  forgetRoom(roomId: number): void {
    this.timelines.dropRoom(roomId);
  }

  /** Joins with an invite code (`{pending: true}` where approval is required). */
  joinByInvite(code: string): Promise<JoinOutcome> {
    return this.commands.joinByInvite(code);
  }

  /** Loads the members of a room (mention autocomplete, the member list, my own mute). */
  loadMembers(roomId: number): Promise<void> {
    return this.timelines.loadMembers(roomId);
  }

  editMessage(room: number, seq: number, text: string): Promise<OperationAckDto> {
    return this.commands.edit(room, seq, text);
  }

  deleteForEveryone(room: number, seq: number): Promise<OperationAckDto> {
    return this.commands.deleteForEveryone(room, seq);
  }

  hideForMe(room: number, seq: number): Promise<void> {
    return this.commands.hideForMe(room, seq);
  }

  toggleReaction(room: number, seq: number, emoji: string, mine: boolean): Promise<OperationAckDto> {
    return this.commands.toggleReaction(room, seq, emoji, mine);
  }

  pin(room: number, seq: number): Promise<OperationAckDto> {
    return this.commands.pin(room, seq);
  }

  unpin(room: number, seq: number): Promise<OperationAckDto> {
    return this.commands.unpin(room, seq);
  }

  ban(room: number, userId: number): Promise<OperationAckDto> {
    return this.commands.ban(room, userId);
  }

  mute(room: number, userId: number, durationSeconds?: number): Promise<OperationAckDto> {
    return this.commands.mute(room, userId, durationSeconds);
  }

  unmute(room: number, userId: number): Promise<OperationAckDto> {
    return this.commands.unmute(room, userId);
  }

  kick(room: number, userId: number): Promise<void> {
    return this.commands.kick(room, userId);
  }

  /** Searches my rooms' messages (docs/protocol.md §14): over the socket when live, else REST. */
  async search(q: string, cursor?: string): Promise<SearchResponse> {
    const socket = this.conn.socket;
    if (socket?.isOpen && this.conn.isLive) {
      const f = await socket.request<SearchFrame>({ type: 'search', q, cursor, limit: 20 });
      return { hits: f.hits, next_cursor: f.next_cursor };
    }
    return this.api.search(q, { cursor, limit: 20 });
  }

  leave(roomId: number): Promise<void> {
    return this.commands.leave(roomId);
  }

  addContactByUsername(username: string): Promise<void> {
    return this.commands.addContactByUsername(username);
  }

  loadContacts(): Promise<void> {
    return this.directory.loadContacts();
  }

  /** Makes a room known to this device right away (after creating or joining it over REST). */
  adopt(room: RoomDto): Promise<void> {
    return this.timelines.adopt(room);
  }

  // ------------------------------------------------------------------ wiring

  private async catchUp(socket: OpenSocket): Promise<void> {
    const reply = await socket.request<SyncFrame>({ type: 'sync', cursors: this.timelines.cursors() });
    await this.timelines.applySync(socket, reply.sync);
  }

  private onLive(): void {
    void this.directory.loadContacts();
    for (const peer of this.timelines.peers()) this.directory.watchPresence(peer);
    this.timelines.flushReads();
    this.timelines.resend();
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'event':
        this.timelines.applyEvent(frame.event);
        break;
      case 'read':
        this.timelines.applyRead(frame);
        break;
      case 'typing':
        this.timelines.applyTyping(frame);
        break;
      case 'presence':
        this.directory.applyPresence(frame);
        break;
      case 'hidden':
        this.timelines.applyHidden(frame.room, frame.seq);
        break;
      default:
        break;
    }
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

function defaultStorage(): KeyValueStorage | null {
  try {
    return typeof window !== 'undefined' ? window.localStorage : null;
  } catch {
    return null;
  }
}
