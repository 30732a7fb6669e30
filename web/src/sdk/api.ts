import { LimeError, SessionEndedError } from './errors';
import { TokenStore, refreshMargin, type StoredSession } from './tokens';
import type {
  AckDto,
  AddContactRequest,
  AddMembersRequest,
  BadgeResponse,
  BlockListResponse,
  CreateInviteRequest,
  ChannelListResponse,
  ContactDto,
  CreateDirectRequest,
  CreateRoomRequest,
  EditMessageRequest,
  HistoryPage,
  InviteDto,
  InviteListResponse,
  InvitePreviewDto,
  JoinRequestListResponse,
  JoinResultDto,
  LoginRequest,
  MarkReadRequest,
  MemberListResponse,
  MuteMemberRequest,
  OperationAckDto,
  PresenceDto,
  ReadStateDto,
  ReadersResponse,
  RefreshRequest,
  RegisterRequest,
  RoomDto,
  RoomListResponse,
  SearchResponse,
  SendMessageRequest,
  SyncCursor,
  SyncRequest,
  SyncResponse,
  TokenResponse,
  UpdateProfileRequest,
  UpdateRoomRequest,
  UserDto,
} from './types';

/**
 * The REST half of the protocol (docs/protocol.md §3). Adds the bearer token, refreshes it (with rotation) once
 * on a 401 or when it is about to expire, and turns ProblemDetails into {@link LimeError}.
 */
export class LimeApi {
  private refreshing: Promise<StoredSession> | null = null;

  constructor(
    readonly tokens: TokenStore,
    private readonly baseUrl = '',
  ) {}

  // ---- accounts ----

  async register(username: string, password: string, displayName?: string): Promise<StoredSession> {
    const body: RegisterRequest = { username, password, display_name: displayName || undefined, device_name: deviceName() };
    return this.tokens.set(await this.anonymous<TokenResponse>('POST', '/api/auth/register', body));
  }

  async login(username: string, password: string): Promise<StoredSession> {
    const body: LoginRequest = { username, password, device_name: deviceName() };
    return this.tokens.set(await this.anonymous<TokenResponse>('POST', '/api/auth/login', body));
  }

  /** Revokes this device session (best effort) and forgets the tokens. */
  async logout(): Promise<void> {
    try {
      if (this.tokens.get()) await this.request<void>('POST', '/api/auth/logout');
    } catch {
      // Offline or already revoked: forgetting the tokens is what matters.
    }
    this.tokens.clear();
  }

  /**
   * A usable access token: refreshed first when it is about to expire (see {@link refreshMargin}) or when `force`.
   * Throws {@link SessionEndedError} when the refresh token is refused.
   */
  async accessToken(force = false): Promise<string> {
    const s = this.tokens.get();
    if (!s) throw new SessionEndedError('Not signed in.');
    if (!force && s.expires_at - Date.now() > refreshMargin(s)) return s.access_token;
    return (await this.refresh(s)).access_token;
  }

  /** Refreshes with rotation; concurrent callers share one request. */
  refresh(current = this.tokens.get()): Promise<StoredSession> {
    if (!current) return Promise.reject(new SessionEndedError('Not signed in.'));
    this.refreshing ??= this.doRefresh(current).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async doRefresh(current: StoredSession): Promise<StoredSession> {
    try {
      const t = await this.anonymous<TokenResponse>('POST', '/api/auth/refresh', { refresh_token: current.refresh_token } satisfies RefreshRequest);
      return this.tokens.set(t);
    } catch (e) {
      if (e instanceof LimeError && e.status === 401) {
        // Another tab may have rotated the token meanwhile: use its newer one rather than signing out.
        const latest = this.tokens.reload();
        if (latest && latest.refresh_token !== current.refresh_token) return latest;
        this.tokens.clear();
        throw new SessionEndedError();
      }
      throw e;
    }
  }

  me = () => this.request<UserDto>('GET', '/api/me');
  user = (id: number) => this.request<UserDto>('GET', `/api/users/${id}`);
  userByName = (username: string) => this.request<UserDto>('GET', `/api/users/by-username/${encodeURIComponent(username.trim().toLowerCase())}`);
  updateProfile = (displayName: string) => this.request<UserDto>('PATCH', '/api/me', { display_name: displayName } satisfies UpdateProfileRequest);

  // ---- rooms ----

  rooms = (cursor?: string) => this.request<RoomListResponse>('GET', `/api/rooms${query({ cursor, limit: 200 })}`);
  room = (id: number) => this.request<RoomDto>('GET', `/api/rooms/${id}`);
  createDirect = (userId: number) => this.request<RoomDto>('POST', '/api/rooms/direct', { user_id: userId } satisfies CreateDirectRequest);
  createRoom = (kind: 'group' | 'channel', name: string, members: number[] = [], topic?: string) =>
    this.request<RoomDto>('POST', '/api/rooms', { kind, name, topic: topic || undefined, members } satisfies CreateRoomRequest);
  /** 200 with the room, or 202 `{pending: true}` when the channel needs an owner's or admin's approval. */
  join = async (id: number): Promise<JoinResultDto> => {
    const r = await this.request<RoomDto | JoinResultDto>('POST', `/api/rooms/${id}/join`);
    return 'pending' in r ? r : { pending: false, room: r };
  };
  leave = (id: number) => this.request<void>('POST', `/api/rooms/${id}/leave`);
  members = (id: number, cursor?: string) => this.request<MemberListResponse>('GET', `/api/rooms/${id}/members${query({ cursor, limit: 200 })}`);
  addMembers = (id: number, userIds: number[]) => this.request<void>('POST', `/api/rooms/${id}/members`, { user_ids: userIds } satisfies AddMembersRequest);
  channels = (q?: string, cursor?: string) => this.request<ChannelListResponse>('GET', `/api/channels${query({ q, cursor, limit: 50 })}`);

  // ---- messages and read state ----

  send = (room: number, clientMsgId: string, text: string, replyTo?: number) =>
    this.request<AckDto>('POST', `/api/rooms/${room}/messages`, { client_msg_id: clientMsgId, text, reply_to: replyTo } satisfies SendMessageRequest);
  history = (room: number, p: { before?: number; after?: number; limit?: number }) =>
    this.request<HistoryPage>('GET', `/api/rooms/${room}/events${query(p)}`);
  around = (room: number, seq: number, limit = 50) => this.request<HistoryPage>('GET', `/api/rooms/${room}/events/around/${seq}${query({ limit })}`);
  markRead = (room: number, seq: number) => this.request<ReadStateDto>('POST', `/api/rooms/${room}/read`, { seq } satisfies MarkReadRequest);
  readers = (room: number, seq: number) => this.request<ReadersResponse>('GET', `/api/rooms/${room}/events/${seq}/readers`);
  sync = (cursors: SyncCursor[], limitPerRoom?: number) => this.request<SyncResponse>('POST', '/api/sync', { cursors, limit_per_room: limitPerRoom } satisfies SyncRequest);
  unread = () => this.request<BadgeResponse>('GET', '/api/me/unread');

  // ---- operations on messages (docs/protocol.md §10) ----

  edit = (room: number, seq: number, text: string, clientMsgId?: string) =>
    this.request<OperationAckDto>('PATCH', `/api/rooms/${room}/messages/${seq}`, { text, client_msg_id: clientMsgId } satisfies EditMessageRequest);
  deleteMessage = (room: number, seq: number, clientMsgId?: string) =>
    this.request<OperationAckDto>('DELETE', `/api/rooms/${room}/messages/${seq}${query({ client_msg_id: clientMsgId })}`);
  react = (room: number, seq: number, emoji: string, clientMsgId?: string) =>
    this.request<OperationAckDto>('PUT', `/api/rooms/${room}/messages/${seq}/reactions/${encodeURIComponent(emoji)}${query({ client_msg_id: clientMsgId })}`);
  unreact = (room: number, seq: number, emoji: string, clientMsgId?: string) =>
    this.request<OperationAckDto>('DELETE', `/api/rooms/${room}/messages/${seq}/reactions/${encodeURIComponent(emoji)}${query({ client_msg_id: clientMsgId })}`);
  pin = (room: number, seq: number) => this.request<OperationAckDto>('PUT', `/api/rooms/${room}/pins/${seq}`);
  unpin = (room: number, seq: number) => this.request<OperationAckDto>('DELETE', `/api/rooms/${room}/pins/${seq}`);
  hide = (room: number, seq: number) => this.request<void>('POST', `/api/rooms/${room}/messages/${seq}/hide`);

  // ---- moderation (docs/protocol.md §11) ----

  ban = (room: number, userId: number) => this.request<OperationAckDto>('PUT', `/api/rooms/${room}/bans/${userId}`);
  unban = (room: number, userId: number) => this.request<OperationAckDto>('DELETE', `/api/rooms/${room}/bans/${userId}`);
  mute = (room: number, userId: number, durationSeconds?: number) =>
    this.request<OperationAckDto>('PUT', `/api/rooms/${room}/members/${userId}/mute`, { duration_seconds: durationSeconds } satisfies MuteMemberRequest);
  unmute = (room: number, userId: number) => this.request<OperationAckDto>('DELETE', `/api/rooms/${room}/members/${userId}/mute`);
  /** Removes a member (kick: they can join or be added again, unlike a ban). */
  removeMember = (room: number, userId: number) => this.request<void>('DELETE', `/api/rooms/${room}/members/${userId}`);

  /** Deletes a group or channel (the owner): everyone leaves it (`room_deleted`). */
  deleteRoom = (room: number) => this.request<void>('DELETE', `/api/rooms/${room}`);
  updateRoom = (room: number, change: UpdateRoomRequest) => this.request<OperationAckDto>('PATCH', `/api/rooms/${room}`, change);
  createInvite = (room: number, request: CreateInviteRequest) => this.request<InviteDto>('POST', `/api/rooms/${room}/invites`, request);
  invites = (room: number) => this.request<InviteListResponse>('GET', `/api/rooms/${room}/invites`);
  revokeInvite = (room: number, inviteId: number) => this.request<void>('DELETE', `/api/rooms/${room}/invites/${inviteId}`);
  previewInvite = (code: string) => this.request<InvitePreviewDto>('GET', `/api/invites/${encodeURIComponent(code)}`);
  /** 200 joined (with the room) or 202 `{pending: true}` where approval is required. */
  joinByInvite = (code: string) => this.request<JoinResultDto>('POST', `/api/invites/${encodeURIComponent(code)}/join`);
  joinRequests = (room: number) => this.request<JoinRequestListResponse>('GET', `/api/rooms/${room}/join-requests`);
  approveJoin = (room: number, userId: number) => this.request<void>('POST', `/api/rooms/${room}/join-requests/${userId}/approve`);
  rejectJoin = (room: number, userId: number) => this.request<void>('DELETE', `/api/rooms/${room}/join-requests/${userId}`);
  blocks = () => this.request<BlockListResponse>('GET', '/api/me/blocks');
  block = (userId: number) => this.request<void>('PUT', `/api/me/blocks/${userId}`);
  unblock = (userId: number) => this.request<void>('DELETE', `/api/me/blocks/${userId}`);

  // ---- search (docs/protocol.md §14) ----

  search = (q: string, p: { room?: number; cursor?: string; limit?: number } = {}) =>
    this.request<SearchResponse>('GET', `/api/search${query({ q, ...p })}`);

  // ---- contacts ----

  contacts = () => this.request<ContactDto[]>('GET', '/api/contacts');
  addContact = (userId: number) => this.request<void>('POST', '/api/contacts', { user_id: userId } satisfies AddContactRequest);
  removeContact = (userId: number) => this.request<void>('DELETE', `/api/contacts/${userId}`);
  /** A user's current presence: allowed for mutual contacts and members of a shared small room (403 otherwise). */
  presence = (userId: number) => this.request<PresenceDto>('GET', `/api/users/${userId}/presence`);

  /** The WebSocket address with a fresh token (browsers cannot set headers on an upgrade). */
  async socketUrl(): Promise<string> {
    const token = await this.accessToken();
    const base = this.baseUrl ? new URL(this.baseUrl) : new URL(window.location.href);
    const scheme = base.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${base.host}/ws?access_token=${encodeURIComponent(token)}`;
  }

  /** An authenticated request; a 401 triggers one refresh and one retry. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let token = await this.accessToken();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.fetchJson<T>(method, path, body, token);
      } catch (e) {
        if (attempt === 0 && e instanceof LimeError && e.status === 401) {
          token = (await this.refresh()).access_token;
          continue;
        }
        throw e;
      }
    }
  }

  private anonymous<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.fetchJson<T>(method, path, body, null);
  }

  private async fetchJson<T>(method: string, path: string, body: unknown, token: string | null): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = `Bearer ${token}`;
    const response = await fetch(this.baseUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (a proxy's error page): described below.
    }
    if (!response.ok) {
      const p = (json ?? {}) as { code?: string; detail?: string; title?: string; retry_after_ms?: number };
      throw new LimeError(
        p.code ?? statusCode(response.status),
        p.detail ?? p.title ?? `Request failed (${response.status}).`,
        response.status,
        p.retry_after_ms,
      );
    }
    return json as T;
  }
}

function statusCode(status: number): string {
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  return status >= 500 ? 'unavailable' : 'validation';
}

function query(params: Record<string, string | number | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

function deviceName(): string {
  if (typeof navigator === 'undefined') return 'web';
  const ua = navigator.userAgent;
  const browser = /Firefox\//.test(ua) ? 'Firefox' : /Edg\//.test(ua) ? 'Edge' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : '';
  return os ? `${browser} on ${os} (web)` : `${browser} (web)`;
}
