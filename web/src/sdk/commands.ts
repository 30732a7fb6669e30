import type { RoomDto, UserDto } from './types';

/** The REST calls the commands make (a subset of {@link LimeApi}). */
export interface CommandApi {
  userByName(username: string): Promise<UserDto>;
  createDirect(userId: number): Promise<RoomDto>;
  createRoom(kind: 'group' | 'channel', name: string, members?: number[], topic?: string): Promise<RoomDto>;
  join(id: number): Promise<RoomDto>;
  leave(id: number): Promise<void>;
  addContact(userId: number): Promise<void>;
}

/** What the commands change around them. */
export interface CommandTargets {
  directory: { remember(user: UserDto): void; hasContact(userId: number): boolean; loadContacts(): Promise<void> };
  /** Makes a room known to this device right away (its timeline fetched). */
  adopt(room: RoomDto): Promise<void>;
  /** Forgets a room this user left. */
  dropRoom(id: number): void;
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

  async joinChannel(id: number): Promise<RoomDto> {
    const room = await this.api.join(id);
    await this.targets.adopt(room);
    return room;
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
