import { newClientMsgId } from './outbox';
import type { JoinResultDto, OperationAckDto, RoomDto, UserDto } from './types';

/** The REST calls the commands make (a subset of {@link LimeApi}). */
export interface CommandApi {
  userByName(username: string): Promise<UserDto>;
  createDirect(userId: number): Promise<RoomDto>;
  createRoom(kind: 'group' | 'channel', name: string, members?: number[], topic?: string): Promise<RoomDto>;
  join(id: number): Promise<JoinResultDto>;
  leave(id: number): Promise<void>;
  addContact(userId: number): Promise<void>;
  edit(room: number, seq: number, text: string, clientMsgId?: string): Promise<OperationAckDto>;
  deleteMessage(room: number, seq: number, clientMsgId?: string): Promise<OperationAckDto>;
  react(room: number, seq: number, emoji: string, clientMsgId?: string): Promise<OperationAckDto>;
  unreact(room: number, seq: number, emoji: string, clientMsgId?: string): Promise<OperationAckDto>;
  pin(room: number, seq: number): Promise<OperationAckDto>;
  unpin(room: number, seq: number): Promise<OperationAckDto>;
  hide(room: number, seq: number): Promise<void>;
  ban(room: number, userId: number): Promise<OperationAckDto>;
  mute(room: number, userId: number, durationSeconds?: number): Promise<OperationAckDto>;
  unmute(room: number, userId: number): Promise<OperationAckDto>;
  removeMember(room: number, userId: number): Promise<void>;
  joinByInvite(code: string): Promise<JoinResultDto>;
}

/** The outcome of joining a channel: joined (the room), or a join request sent to its owner and admins. */
export type JoinOutcome = { pending: false; room: RoomDto } | { pending: true };

/** What the commands change around them. */
export interface CommandTargets {
  directory: { remember(user: UserDto): void; hasContact(userId: number): boolean; loadContacts(): Promise<void> };
  /** Makes a room known to this device right away (its timeline fetched). */
  adopt(room: RoomDto): Promise<void>;
  /** Forgets a room this user left. */
  dropRoom(id: number): void;
  /** Hides a message on this device at once (the server's `hidden` frame follows). */
  hide(room: number, seq: number): void;
}

/**
 * The user's actions on rooms and contacts over REST: each call resolves once the server has done it and the room
 * is known to this device (the live `room_created`/`members_*` event that follows is then a duplicate).
 */
export class Commands {
  constructor(
    private readonly api: CommandApi,
    private readonly targets: CommandTargets,
  ) {}

  /** Opens (or creates) the direct chat with a user found by username. */
  async directWithUsername(username: string): Promise<RoomDto> {
    const user = await this.api.userByName(username);
    return this.directWith(user);
  }

  async directWith(user: UserDto | { id: number }): Promise<RoomDto> {
    if ('username' in user) this.targets.directory.remember(user);
    const room = await this.api.createDirect(user.id);
    // A direct chat partner becomes a contact (once both added each other, the contact list shows their presence).
    if (!this.targets.directory.hasContact(user.id)) {
      this.api.addContact(user.id).then(() => this.targets.directory.loadContacts(), () => undefined);
    }
    await this.targets.adopt(room);
    return room;
  }

  async createGroup(name: string, usernames: string[]): Promise<RoomDto> {
    const ids: number[] = [];
    for (const n of usernames) {
      const u = await this.api.userByName(n);
      this.targets.directory.remember(u);
      ids.push(u.id);
    }
    const room = await this.api.createRoom('group', name, ids);
    await this.targets.adopt(room);
    return room;
  }

  async createChannel(name: string, topic?: string): Promise<RoomDto> {
    const room = await this.api.createRoom('channel', name, [], topic);
    await this.targets.adopt(room);
    return room;
  }

  /**
   * Joins an open channel. A channel that requires approval answers 202 `{pending: true}`: nothing is joined (no
   * room to open) until an owner or admin approves the request.
   */
  async joinChannel(id: number): Promise<JoinOutcome> {
    const result = await this.api.join(id);
    if (result.pending || !result.room) return { pending: true };
    await this.targets.adopt(result.room);
    return { pending: false, room: result.room };
  }

  /** Joins with an invite code: the room (adopted here), or `{pending: true}` where an owner or admin must approve. */
  async joinByInvite(code: string): Promise<JoinOutcome> {
    const result = await this.api.joinByInvite(code);
    if (result.pending || !result.room) return { pending: true };
    await this.targets.adopt(result.room);
    return { pending: false, room: result.room };
  }

  // Operations on messages (docs/protocol.md §10). Each resolves once stored; its event reaches the timeline like
  // any other (live, or with the next sync) and the fold applies it. A fresh client_msg_id makes a retry of the same
  // call safe.

  /** Edits my message (within the server's edit window). */
  edit(room: number, seq: number, text: string): Promise<OperationAckDto> {
    return this.api.edit(room, seq, text, newClientMsgId());
  }

  /** Deletes a message for everyone: mine within the window, anyone's as owner or admin. */
  deleteForEveryone(room: number, seq: number): Promise<OperationAckDto> {
    return this.api.deleteMessage(room, seq, newClientMsgId());
  }

  /** Hides a message for me only (no room event; my other devices get a `hidden` frame). */
  async hideForMe(room: number, seq: number): Promise<void> {
    await this.api.hide(room, seq);
    this.targets.hide(room, seq);
  }

  react(room: number, seq: number, emoji: string): Promise<OperationAckDto> {
    return this.api.react(room, seq, emoji, newClientMsgId());
  }

  unreact(room: number, seq: number, emoji: string): Promise<OperationAckDto> {
    return this.api.unreact(room, seq, emoji, newClientMsgId());
  }

  /** Adds my reaction, or takes it back when I already reacted with that emoji. */
  toggleReaction(room: number, seq: number, emoji: string, mine: boolean): Promise<OperationAckDto> {
    return mine ? this.unreact(room, seq, emoji) : this.react(room, seq, emoji);
  }

  pin(room: number, seq: number): Promise<OperationAckDto> {
    return this.api.pin(room, seq);
  }

  unpin(room: number, seq: number): Promise<OperationAckDto> {
    return this.api.unpin(room, seq);
  }

  // Moderation (owners and admins; docs/protocol.md §11).

  /** Bans a user: removed now, and cannot rejoin or be re-added until unbanned. */
  ban(room: number, userId: number): Promise<OperationAckDto> {
    return this.api.ban(room, userId);
  }

  /** Mutes a member for `durationSeconds` (absent: until unmuted). */
  mute(room: number, userId: number, durationSeconds?: number): Promise<OperationAckDto> {
    return this.api.mute(room, userId, durationSeconds);
  }

  unmute(room: number, userId: number): Promise<OperationAckDto> {
    return this.api.unmute(room, userId);
  }

  /** Removes a member (a kick: they may come back, unlike after a ban). */
  kick(room: number, userId: number): Promise<void> {
    return this.api.removeMember(room, userId);
  }

  async leave(roomId: number): Promise<void> {
    await this.api.leave(roomId);
    this.targets.dropRoom(roomId);
  }

  async addContactByUsername(username: string): Promise<void> {
    const u = await this.api.userByName(username);
    this.targets.directory.remember(u);
    await this.api.addContact(u.id);
    await this.targets.directory.loadContacts();
  }
}
