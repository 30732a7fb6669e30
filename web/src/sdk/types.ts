// Wire contracts of the LIME protocol (src/Lime.Protocol/*.cs, docs/protocol.md). JSON is snake_case; null
// fields are omitted by the server, so every nullable field is optional here. User and room ids are numbers
// (below 2^53); message ids are Snowflake strings and are treated as opaque.

// Checked against the protocol records by tests/Lime.Tests/SdkTypesTests.cs: same names, same JSON fields, optional
// exactly where the server may omit a field. Records the web client does not use are listed there.

export interface RegisterRequest {
  username: string;
  password: string;
  display_name?: string;
  device_name?: string;
}

export interface LoginRequest {
  username: string;
  password: string;
  device_name?: string;
}

export interface RefreshRequest {
  refresh_token: string;
}

export interface UpdateProfileRequest {
  display_name?: string;
}

export interface CreateRoomRequest {
  kind: 'group' | 'channel';
  name?: string;
  topic?: string;
  members?: number[];
}

export interface CreateDirectRequest {
  user_id: number;
}

export interface AddMembersRequest {
  user_ids: number[];
}

export interface SendMessageRequest {
  client_msg_id: string;
  text: string;
  reply_to?: number;
  mentions?: number[];
  mention_room?: boolean;
  /** Ids of the sender's own uploads (POST /api/uploads); not sent by the web client yet. */
  attachments?: string[];
}

export interface EditMessageRequest {
  text: string;
  client_msg_id?: string;
}

export interface MuteMemberRequest {
  /** Absent: until unmuted. */
  duration_seconds?: number;
}

/** PATCH /api/rooms/{id}: absent fields are unchanged; "" clears topic or description. */
export interface UpdateRoomRequest {
  name?: string;
  topic?: string;
  description?: string;
  approval_required?: boolean;
  client_msg_id?: string;
}

export interface CreateInviteRequest {
  expires_in_seconds?: number;
  max_uses?: number;
}

export interface SyncRequest {
  cursors?: SyncCursor[];
  limit_per_room?: number;
}

export interface MarkReadRequest {
  seq: number;
}

export interface AddContactRequest {
  user_id: number;
}

export interface UserDto {
  id: number;
  username: string;
  display_name: string;
  created_at: number;
}

export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  device_id: number;
  user: UserDto;
}

export type RoomKind = 'direct' | 'group' | 'channel';

export interface RoomDto {
  id: number;
  kind: RoomKind;
  name?: string | null;
  topic?: string | null;
  created_by: number;
  created_at: number;
  last_seq: number;
  last_activity_at: number;
  member_count: number;
  my_role?: string | null;
  peer?: number | null;
  /** Seqs of the pinned messages. */
  pinned?: number[] | null;
  description?: string | null;
  approval_required?: boolean | null;
}

export type EventKind =
  | 'message'
  | 'room_created'
  | 'members_joined'
  | 'members_added'
  | 'member_left'
  | 'member_removed'
  | 'role_changed'
  | 'message_edited'
  | 'message_deleted'
  | 'reaction_added'
  | 'reaction_removed'
  | 'message_pinned'
  | 'message_unpinned'
  | 'room_updated'
  | 'room_deleted'
  | 'member_banned'
  | 'member_unbanned'
  | 'member_muted'
  | 'member_unmuted'
  | 'invite_created'
  | 'invite_revoked'
  | 'join_requested'
  | 'join_rejected'
  | 'history_purged'
  | 'retention_changed';

export interface EventDto {
  id: string;
  room: number;
  seq: number;
  kind: EventKind | string;
  sender: number;
  ts: number;
  text?: string | null;
  reply_to?: number | null;
  client_msg_id?: string | null;
  users?: number[] | null;
  role?: string | null;
  name?: string | null;
  /** Operations: the seq of the message operated on. */
  target?: number | null;
  emoji?: string | null;
  /** Message state as of a history/sync read (docs/protocol.md §5). */
  edited_at?: number | null;
  deleted?: boolean | null;
  reactions?: ReactionDto[] | null;
  hidden?: boolean | null;
  topic?: string | null;
  description?: string | null;
  approval_required?: boolean | null;
  until?: number | null;
  invite?: number | null;
  max_uses?: number | null;
  mentions?: number[] | null;
  mention_room?: boolean | null;
  /** Files on a message (docs/protocol.md, attachments); the web client does not show them yet. */
  attachments?: AttachmentDto[] | null;
  /** retention_changed: the room's message TTL in days (0: keep; absent: the server default). */
  retention_days?: number | null;
}

/** An upload as carried on a message event. */
export interface AttachmentDto {
  id: string;
  name: string;
  size: number;
  type: string;
  width?: number | null;
  height?: number | null;
  thumbnail?: boolean | null;
  placeholder?: string | null;
}

export interface ReactionDto {
  emoji: string;
  count: number;
  /** Who reacted (small rooms only). */
  users?: number[] | null;
}

export interface RoomSummaryDto {
  room: RoomDto;
  last_message?: EventDto | null;
  read_seq: number;
  unread_count: number;
}

export interface RoomListResponse {
  rooms: RoomSummaryDto[];
  next_cursor?: string | null;
}

export interface ChannelListResponse {
  channels: RoomDto[];
  next_cursor?: string | null;
}

export interface MemberDto {
  user_id: number;
  username: string;
  display_name: string;
  role: string;
  joined_at: number;
  read_seq: number;
  muted_until?: number | null;
}

export interface MemberListResponse {
  members: MemberDto[];
  next_cursor?: string | null;
}

export interface AckDto {
  id: string;
  room: number;
  seq: number;
  ts: number;
  client_msg_id: string;
  duplicate: boolean;
}

export interface HistoryPage {
  events: EventDto[];
  has_more_before: boolean;
  has_more_after: boolean;
  /** The room's last seq when the page was read; the messages' state includes every operation up to it. */
  as_of: number;
  /** The oldest seq the room keeps when older events were removed (purge or retention): nothing before it can be fetched. */
  retained_from?: number | null;
}

export interface OperationAckDto {
  room: number;
  changed: boolean;
  duplicate: boolean;
  id?: string | null;
  seq?: number | null;
  ts?: number | null;
  client_msg_id?: string | null;
}

/** POST /api/rooms/{id}/join: 200 with the room, or 202 `{pending: true}` when an owner or admin must approve. */
export interface JoinResultDto {
  pending: boolean;
  room?: RoomDto | null;
}

/** An invite link (owners and admins only). */
export interface InviteDto {
  id: number;
  room: number;
  code: string;
  created_by: number;
  created_at: number;
  expires_at?: number | null;
  max_uses?: number | null;
  uses: number;
  revoked: boolean;
}

export interface InviteListResponse {
  invites: InviteDto[];
}

/** What an invite code leads to. */
export interface InvitePreviewDto {
  room: number;
  kind: string;
  name?: string | null;
  topic?: string | null;
  member_count: number;
  approval_required: boolean;
}

export interface JoinRequestDto {
  user_id: number;
  username: string;
  display_name: string;
  requested_at: number;
}

export interface JoinRequestListResponse {
  requests: JoinRequestDto[];
}

export interface BlockDto {
  user_id: number;
  username: string;
  display_name: string;
  created_at: number;
}

export interface BlockListResponse {
  blocks: BlockDto[];
}

export interface SyncCursor {
  room: number;
  seq: number;
}

export interface MemberRead {
  user: number;
  seq: number;
}

export interface SyncRoom {
  room: RoomDto;
  events: EventDto[];
  snapshot: boolean;
  has_more: boolean;
  read_seq: number;
  unread_count: number;
  reads?: MemberRead[] | null;
  /** Seqs of the messages this user hid. */
  hidden?: number[] | null;
  /** The oldest seq the room keeps when older events were removed (purge or retention). */
  retained_from?: number | null;
}

export interface SyncResponse {
  rooms: SyncRoom[];
  left: number[];
  total_unread: number;
  server_time: number;
}

export interface ReadStateDto {
  room: number;
  read_seq: number;
  unread_count: number;
}

export interface BadgeResponse {
  total_unread: number;
}

export interface ReadersResponse {
  room: number;
  seq: number;
  read_by: MemberRead[];
  unread_by: number;
}

export interface ContactDto {
  user_id: number;
  username: string;
  display_name: string;
  online: boolean;
  last_seen?: number | null;
  /** Both added each other (online and last_seen are shown only then). */
  mutual: boolean;
}

/** GET /api/users/{id}/presence. */
export interface PresenceDto {
  user_id: number;
  online: boolean;
  last_seen?: number | null;
}

// ---- Socket frames ----

export interface HelloFrame {
  type: 'hello';
  user_id: number;
  device_id: number;
  connection_id: string;
  server_time: number;
  heartbeat_interval_ms: number;
  idle_timeout_ms: number;
  max_text_bytes: number;
  max_frame_bytes: number;
  /** Rooms with more members than this are large: no typing, no per-member read receipts, no presence fanout. */
  large_room_members: number;
}

export interface PongFrame {
  type: 'pong';
  id?: string;
  ts: number;
}

export interface AckFrame {
  type: 'ack';
  id?: string;
  ack: AckDto;
}

export interface EventFrame {
  type: 'event';
  event: EventDto;
}

export interface HistoryFrame {
  type: 'history';
  id?: string;
  room: number;
  events: EventDto[];
  has_more_before: boolean;
  has_more_after: boolean;
}

export interface SyncFrame {
  type: 'sync';
  id?: string;
  sync: SyncResponse;
}

export interface ReadFrame {
  type: 'read';
  id?: string;
  room: number;
  user: number;
  seq: number;
}

export interface TypingFrame {
  type: 'typing';
  room: number;
  user: number;
  expires_in_ms: number;
}

export interface PresenceFrame {
  type: 'presence';
  user: number;
  online: boolean;
  last_seen?: number | null;
}

export interface OpAckFrame {
  type: 'op_ack';
  id?: string;
  ack: OperationAckDto;
}

export interface HiddenFrame {
  type: 'hidden';
  id?: string;
  room: number;
  seq: number;
}

export interface MentionFrame {
  type: 'mention';
  room: number;
  seq: number;
  sender: number;
}

/** Where a search hit opens: history around `around` in `room` (docs/protocol.md §14). */
export interface SearchJumpDto {
  room: number;
  around: number;
}

/** A search hit; `highlights` are [start, length] pairs in UTF-16 code units of `snippet`. */
export interface SearchHitDto {
  room: number;
  seq: number;
  id: string;
  sender: number;
  ts: number;
  snippet: string;
  highlights: number[][];
  jump: SearchJumpDto;
}

export interface SearchResponse {
  hits: SearchHitDto[];
  next_cursor?: string;
}

export interface SearchFrame {
  type: 'search';
  id?: string;
  hits: SearchHitDto[];
  next_cursor?: string;
}

export interface ErrorFrame {
  type: 'error';
  id?: string;
  code: string;
  message: string;
  retry_after_ms?: number;
}

export type ServerFrame =
  | HelloFrame
  | PongFrame
  | AckFrame
  | EventFrame
  | HistoryFrame
  | SyncFrame
  | ReadFrame
  | TypingFrame
  | PresenceFrame
  | OpAckFrame
  | HiddenFrame
  | MentionFrame
  | SearchFrame
  | ErrorFrame;

/** Every client frame has this flat shape (fields unused by a type are left out). */
export interface ClientFrame {
  type: 'ping' | 'send' | 'history' | 'sync' | 'read' | 'typing' | 'edit' | 'delete' | 'react' | 'unreact' | 'pin' | 'unpin' | 'hide' | 'search';
  id?: string;
  room?: number;
  client_msg_id?: string;
  text?: string;
  reply_to?: number;
  before?: number;
  after?: number;
  around?: number;
  limit?: number;
  seq?: number;
  cursors?: SyncCursor[];
  limit_per_room?: number;
  emoji?: string;
  mentions?: number[];
  mention_room?: boolean;
  attachments?: string[];
  /** search: the query, its mode ('text' | 'initials'), a sender, the previous page's next_cursor. */
  q?: string;
  mode?: string;
  from?: number;
  cursor?: string;
}

/** Close codes of docs/protocol.md §4. */
export const CloseCodes = {
  idleTimeout: 4000,
  loggedOut: 4001,
  slowConsumer: 4008,
  frameTooLarge: 4009,
  goingAway: 4010,
} as const;

/** Error codes after which a send must not be retried as is (docs/protocol.md §7). */
export const permanentSendErrors: ReadonlySet<string> = new Set([
  'validation',
  'message_too_large',
  'forbidden',
  'not_found',
  'muted',
  'banned',
  'blocked',
]);
