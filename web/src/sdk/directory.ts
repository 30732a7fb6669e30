import type { ContactDto, PresenceDto, PresenceFrame, RoomDto, UserDto } from './types';

export interface Presence {
  online: boolean;
  lastSeen?: number | null;
}

/** The REST calls the directory needs (a subset of {@link LimeApi}). */
export interface DirectoryApi {
  user(id: number): Promise<UserDto>;
  contacts(): Promise<ContactDto[]>;
  presence(userId: number): Promise<PresenceDto>;
}

/**
 * Who is who: user profiles (fetched once when first asked for), presence, and the contact list.
 *
 * Presence frames carry changes only, and the contact list shows presence only for mutual contacts, so the current
 * presence of a direct-chat partner is asked for over REST once per connection ({@link watchPresence}); an answer
 * overtaken by a presence frame is ignored.
 */
export class Directory {
  private readonly users = new Map<number, UserDto>();
  private readonly userRequests = new Set<number>();
  private readonly presence = new Map<number, Presence>();
  private readonly presenceAsked = new Set<number>();
  private readonly presenceFrames = new Map<number, number>();
  private contactList: ContactDto[] = [];

  constructor(
    private readonly api: DirectoryApi,
    private readonly me: () => UserDto | null,
    private readonly emit: () => void,
    private readonly retryUserAfterMs = 10_000,
  ) {}

  /** A user's profile; unknown ones are fetched and announced through `emit`. */
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
          setTimeout(() => this.userRequests.delete(id), this.retryUserAfterMs);
        },
      );
    }
    return u;
  }

  /** Records a profile learnt elsewhere (a search, a member list, the session). */
  remember(user: UserDto): void {
    this.users.set(user.id, user);
  }

  /** Records a profile only when none is known (partial profiles from member and contact lists). */
  rememberIfUnknown(user: UserDto): void {
    if (!this.users.has(user.id)) this.users.set(user.id, user);
  }

  displayName(id: number): string {
    const me = this.me();
    if (id === me?.id) return me.display_name;
    return this.user(id)?.display_name ?? `user ${id}`;
  }

  /** A room's title: its name, or the other person's name in a direct chat. */
  roomTitle(room: RoomDto): string {
    if (room.kind === 'direct') return room.peer ? this.displayName(room.peer) : 'Direct chat';
    return room.name ?? `Room ${room.id}`;
  }

  /** What is known of a user's presence (callers show nothing while disconnected: it would be stale). */
  presenceOf(userId: number): Presence | undefined {
    return this.presence.get(userId);
  }

  contacts(): readonly ContactDto[] {
    return this.contactList;
  }

  hasContact(userId: number): boolean {
    return this.contactList.some((c) => c.user_id === userId);
  }

  async loadContacts(): Promise<void> {
    try {
      this.contactList = await this.api.contacts();
      for (const c of this.contactList) {
        // Only a mutual contact's presence is shown there (others read as offline, which says nothing).
        if (c.mutual) this.presence.set(c.user_id, { online: c.online, lastSeen: c.last_seen });
        this.rememberIfUnknown({ id: c.user_id, username: c.username, display_name: c.display_name, created_at: 0 });
      }
      this.emit();
    } catch {
      // Shown again on the next connect.
    }
  }

  /** A live presence change. */
  applyPresence(frame: PresenceFrame): void {
    this.presenceFrames.set(frame.user, (this.presenceFrames.get(frame.user) ?? 0) + 1);
    this.presence.set(frame.user, { online: frame.online, lastSeen: frame.last_seen });
    this.emit();
  }

  /** Asks once per connection for the current presence of a user (a direct-chat partner). */
  watchPresence(userId: number): void {
    if (userId === this.me()?.id || this.presenceAsked.has(userId)) return;
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

  /** The connection dropped: presence frames sent meanwhile are lost, so presence is asked again when live. */
  connectionLost(): void {
    this.presenceAsked.clear();
  }
}
