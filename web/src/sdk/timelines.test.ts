import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LimeError } from './errors';
import { Outbox } from './outbox';
import { FakeSocket, MemoryStorage, deferred, message, room, settle } from './test/fakes';
import { Timelines, type TimelineApi } from './timelines';
import type { AckFrame, ClientFrame, EventDto, HistoryFrame, HistoryPage, RoomDto, ServerFrame, SyncResponse, UserDto } from './types';

const ME = 1;

function setup(opts: { live?: boolean; rooms?: Record<number, RoomDto>; history?: (room: number, f: Omit<ClientFrame, 'id'>) => EventDto[] } = {}) {
  const socket = new FakeSocket();
  const history = opts.history ?? (() => []);
  socket.reply = (f) => {
    if (f.type === 'history') {
      const events = history(f.room ?? 0, f);
      const page: HistoryFrame = { type: 'history', room: f.room ?? 0, events, has_more_before: false, has_more_after: false };
      return Promise.resolve(page);
    }
    return new Promise<ServerFrame>(() => undefined);
  };
  const api: TimelineApi & { roomCalls: number[] } = {
    roomCalls: [],
    room(id) {
      this.roomCalls.push(id);
      return Promise.resolve(opts.rooms?.[id] ?? room(id));
    },
    history: (id, p) => Promise.resolve<HistoryPage>({ events: history(id, { type: 'history', ...p }), has_more_before: false, has_more_after: false, as_of: 0 }),
    around: (id, seq) => Promise.resolve<HistoryPage>({ events: history(id, { type: 'history', around: seq }), has_more_before: false, has_more_after: true, as_of: 0 }),
    members: () => Promise.resolve({ members: [] }),
  };
  const users: UserDto[] = [];
  const peers: number[] = [];
  const outbox = new Outbox(new MemoryStorage());
  outbox.load(ME);
  let live = opts.live ?? true;
  const timelines = new Timelines({
    api,
    outbox,
    directory: { user: () => undefined, remember: (u) => users.push(u) },
    me: () => ME,
    socket: () => socket,
    live: () => live,
    largeRoomMembers: () => 5,
    onPeer: (p) => peers.push(p),
    emit: () => undefined,
  });
  return { socket, api, timelines, outbox, peers, setLive: (v: boolean) => (live = v) };
}

function sync(rooms: SyncResponse['rooms']): SyncResponse {
  return { rooms, left: [], total_unread: 0, server_time: 0 };
}

function texts(t: Timelines, id: number): (string | null | undefined)[] {
  return t.room(id)?.events.map((e) => e.text) ?? [];
}

describe('Timelines', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('applies events in seq order, drops duplicates, and fills a gap from history before showing later events', async () => {
    const t = setup({ history: (_r, f) => (f.after === 2 ? [message(5, 3), message(5, 4)] : []) });
    await t.timelines.applySync(t.socket, sync([{ room: room(5, { last_seq: 2 }), events: [message(5, 1), message(5, 2)], snapshot: true, has_more: false, read_seq: 2, unread_count: 0 }]));
    t.timelines.applyEvent(message(5, 2)); // duplicate
    t.timelines.applyEvent(message(5, 5)); // past a gap: held while 3 and 4 are fetched
    expect(texts(t.timelines, 5)).toEqual(['m1', 'm2']);
    await settle();
    expect(texts(t.timelines, 5)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(t.socket.sent.filter((f) => f.type === 'history')).toEqual([{ type: 'history', room: 5, after: 2, limit: 200 }]);
    expect(t.timelines.room(5)?.unread).toBe(3);
    expect(t.timelines.cursors()).toEqual([{ room: 5, seq: 5 }]);
  });

  it('fetches a room it learns of from a live event and applies what arrived meanwhile (a message of the typist ends the typing)', async () => {
    const t = setup({ rooms: { 8: room(8, { kind: 'direct', peer: 2, last_seq: 1 }) }, history: () => [message(8, 1, 2, { kind: 'room_created', users: [1, 2], text: null })] });
    t.timelines.applyEvent(message(8, 1, 2, { kind: 'room_created', users: [1, 2], text: null }));
    t.timelines.applyTyping({ type: 'typing', room: 8, user: 2, expires_in_ms: 6000 });
    t.timelines.applyEvent(message(8, 2, 2)); // while the room is fetched
    expect(t.timelines.room(8)).toBeUndefined();
    await settle();
    const r = t.timelines.room(8);
    expect(t.api.roomCalls).toEqual([8]);
    expect(r?.events.map((e) => e.seq)).toEqual([1, 2]);
    expect(r?.unread).toBe(1);
    expect(r?.typing.size).toBe(0); // their message came after the typing frame
    expect(t.peers).toEqual([2]);
  });

  it('shows typing that arrived while a room was being fetched, until it expires', async () => {
    const t = setup({ rooms: { 8: room(8, { kind: 'direct', peer: 2, last_seq: 1 }) }, history: () => [message(8, 1, 2, { kind: 'room_created', users: [1, 2], text: null })] });
    t.timelines.applyEvent(message(8, 1, 2, { kind: 'room_created', users: [1, 2], text: null }));
    t.timelines.applyTyping({ type: 'typing', room: 8, user: 2, expires_in_ms: 6000 });
    await settle();
    expect([...(t.timelines.room(8)?.typing.keys() ?? [])]).toEqual([2]);
    await vi.advanceTimersByTimeAsync(6000);
    expect(t.timelines.room(8)?.typing.size).toBe(0);
  });

  it('sends through the outbox with one client_msg_id, and removes the item once its event arrives', async () => {
    const t = setup();
    await t.timelines.applySync(t.socket, sync([{ room: room(5), events: [], snapshot: true, has_more: false, read_seq: 0, unread_count: 0 }]));
    let ack: (f: AckFrame) => void = () => undefined;
    t.socket.reply = (f) => (f.type === 'send' ? new Promise<ServerFrame>((r) => (ack = r)) : new Promise(() => undefined));
    const id = t.timelines.send(5, 'hello');
    expect(t.timelines.pending(5).map((i) => [i.text, i.state])).toEqual([['hello', 'sending']]);
    const sent = t.socket.sent.find((f) => f.type === 'send');
    expect(sent).toMatchObject({ room: 5, client_msg_id: id, text: 'hello' });
    ack({ type: 'ack', ack: { id: 'x', room: 5, seq: 1, ts: 1, client_msg_id: id, duplicate: false } });
    await settle();
    expect(t.timelines.pending(5).map((i) => i.state)).toEqual(['sent']);
    t.timelines.applyEvent(message(5, 1, ME, { text: 'hello', client_msg_id: id }));
    expect(t.timelines.pending(5)).toEqual([]);
    expect(t.outbox.all()).toEqual([]);
  });

  it('marks a permanently refused message failed and keeps a message whose connection was lost for the resend', async () => {
    const t = setup();
    t.socket.reply = (f) =>
      Promise.reject(f.text === 'bad' ? new LimeError('message_too_large', 'Too long.') : new (class extends Error {})('gone'));
    t.timelines.send(5, 'bad');
    await settle();
    expect(t.outbox.all().map((i) => [i.text, i.state, i.error])).toEqual([['bad', 'failed', 'Too long.']]);

    const { ConnectionLostError } = await import('./errors');
    t.socket.reply = () => Promise.reject(new ConnectionLostError());
    t.timelines.send(5, 'later');
    await settle();
    expect(t.outbox.all().find((i) => i.text === 'later')?.state).toBe('sending');
    const before = t.socket.sent.filter((f) => f.type === 'send').length;
    t.timelines.resend();
    expect(t.socket.sent.filter((f) => f.type === 'send').length).toBe(before + 1); // only 'later'; 'bad' waits for retry
  });

  it('does not send while not live; the outbox keeps the message for later', () => {
    const t = setup({ live: false });
    t.timelines.send(5, 'queued');
    expect(t.socket.sent).toEqual([]);
    t.setLive(true);
    t.timelines.resend();
    expect(t.socket.sent.map((f) => f.text)).toEqual(['queued']);
  });

  it('marks read optimistically and sends the watermark', async () => {
    const t = setup();
    await t.timelines.applySync(t.socket, sync([{ room: room(5, { last_seq: 3 }), events: [message(5, 1), message(5, 2), message(5, 3)], snapshot: true, has_more: false, read_seq: 1, unread_count: 2 }]));
    expect(t.timelines.room(5)?.unread).toBe(2);
    expect(t.timelines.totalUnread()).toBe(2);
    t.timelines.markRead(5);
    expect(t.timelines.room(5)?.unread).toBe(0);
    expect(t.socket.sent).toContainEqual({ type: 'read', room: 5, seq: 3 });
  });

  it('counts who has not read a message in a small room, from the read watermarks', async () => {
    const t = setup();
    await t.timelines.applySync(t.socket, sync([{ room: room(5, { last_seq: 2, member_count: 3 }), events: [message(5, 1, ME), message(5, 2, ME)], snapshot: true, has_more: false, read_seq: 2, unread_count: 0, reads: [{ user: 1, seq: 2 }, { user: 2, seq: 2 }, { user: 3, seq: 1 }] }]));
    const r = t.timelines.room(5)!;
    expect(t.timelines.unreadBy(r, 2, ME)).toBe(1);
    t.timelines.applyRead({ type: 'read', room: 5, user: 3, seq: 2 });
    expect(t.timelines.unreadBy(t.timelines.room(5)!, 2, ME)).toBe(0);
  });

  it('drops rooms the sync no longer lists, and a room I was removed from', async () => {
    const t = setup();
    await t.timelines.applySync(t.socket, sync([
      { room: room(5), events: [], snapshot: true, has_more: false, read_seq: 0, unread_count: 0 },
      { room: room(6), events: [], snapshot: true, has_more: false, read_seq: 0, unread_count: 0 },
    ]));
    await t.timelines.applySync(t.socket, sync([{ room: room(6), events: [], snapshot: false, has_more: false, read_seq: 0, unread_count: 0 }]));
    expect(t.timelines.rooms().map((r) => r.room.id)).toEqual([6]);
    t.timelines.applyEvent(message(6, 1, 2, { kind: 'member_removed', users: [ME], text: null }));
    await settle();
    expect(t.timelines.rooms()).toEqual([]);
  });

  it('throttles typing and sends it only when live', () => {
    const t = setup();
    t.timelines.typing(5);
    t.timelines.typing(5);
    expect(t.socket.sent).toEqual([{ type: 'typing', room: 5 }]);
    vi.advanceTimersByTime(2500);
    t.timelines.typing(5);
    expect(t.socket.sent).toHaveLength(2);
    t.setLive(false);
    vi.advanceTimersByTime(2500);
    t.timelines.typing(5);
    expect(t.socket.sent).toHaveLength(2);
  });

  it('folds operations into the messages: a sync read with its state, then live edit, reactions, pin and delete', async () => {
    const t = setup();
    const read = message(5, 2, 2, { text: 'Lunch at 12:30?', edited_at: 1500, reactions: [{ emoji: '👍', count: 1, users: [3] }] });
    await t.timelines.applySync(t.socket, sync([{ room: room(5, { last_seq: 3, pinned: [2] }), events: [message(5, 1, 2), read, message(5, 3, 3, { kind: 'message_edited', target: 2, text: 'Lunch at 12:30?' })], snapshot: true, has_more: false, read_seq: 3, unread_count: 0 }]));
    let r = t.timelines.room(5)!;
    expect(r.messages.get(2)).toMatchObject({ text: 'Lunch at 12:30?', editedAt: 1500, reactions: [{ emoji: '👍', count: 1, users: [3] }] });
    expect(r.pinned).toEqual([2]);
    t.timelines.applyEvent(message(5, 4, 2, { kind: 'message_edited', target: 2, text: 'Lunch at 1?', ts: 4000 }));
    t.timelines.applyEvent(message(5, 5, ME, { kind: 'reaction_added', target: 2, emoji: '👍' }));
    t.timelines.applyEvent(message(5, 6, 3, { kind: 'reaction_removed', target: 2, emoji: '👍' }));
    t.timelines.applyEvent(message(5, 7, 2, { kind: 'message_pinned', target: 1 }));
    r = t.timelines.room(5)!;
    expect(r.messages.get(2)).toMatchObject({ text: 'Lunch at 1?', editedAt: 4000, deleted: false, reactions: [{ emoji: '👍', count: 1, users: [ME] }] });
    expect(r.pinned).toEqual([1, 2]);
    expect(r.lastMessage?.seq).toBe(2);
    expect(r.lastMessage?.text).toBe('Lunch at 1?'); // the room list shows the edit
    t.timelines.applyEvent(message(5, 8, 2, { kind: 'message_deleted', target: 2 }));
    r = t.timelines.room(5)!;
    expect(r.messages.get(2)).toMatchObject({ text: null, deleted: true, reactions: [] });
    expect(r.pinned).toEqual([1]);
    expect(r.lastMessage?.deleted).toBe(true);
  });

  it('older messages loaded over the socket (no as_of) get the operations that arrived while the page was read', async () => {
    const page = deferred<EventDto[]>();
    const t = setup();
    t.socket.reply = (f) =>
      f.type === 'history' ? page.promise.then((events): ServerFrame => ({ type: 'history', room: 5, events, has_more_before: false, has_more_after: false })) : new Promise(() => undefined);
    await t.timelines.applySync(t.socket, sync([{ room: room(5, { last_seq: 6 }), events: [message(5, 5), message(5, 6, 3, { kind: 'reaction_added', target: 2, emoji: '👍' })], snapshot: true, has_more: false, read_seq: 6, unread_count: 0 }]));
    const loading = t.timelines.loadOlder(5);
    t.timelines.applyEvent(message(5, 7, 4, { kind: 'reaction_added', target: 2, emoji: '👍' })); // after the page was read
    page.resolve([1, 2, 3, 4].map((seq) => message(5, seq, 2, seq === 2 ? { reactions: [{ emoji: '👍', count: 1, users: [3] }] } : {})));
    await loading;
    expect(t.timelines.room(5)?.messages.get(2)?.reactions).toEqual([{ emoji: '👍', count: 2, users: [3, 4] }]);
  });

  it('a ban of me drops the room; a hidden frame hides the message; a message mentioning me marks the room', async () => {
    const t = setup();
    await t.timelines.applySync(t.socket, sync([
      { room: room(5, { last_seq: 1 }), events: [message(5, 1)], snapshot: true, has_more: false, read_seq: 1, unread_count: 0 },
      { room: room(6, { last_seq: 1 }), events: [message(6, 1)], snapshot: true, has_more: false, read_seq: 1, unread_count: 0, hidden: [1] },
    ]));
    expect(t.timelines.room(6)?.messages.get(1)?.hidden).toBe(true);
    t.timelines.applyEvent(message(5, 2, 2, { text: '@u1 look', mentions: [ME] }));
    expect(t.timelines.room(5)?.mentioned).toBe(true);
    t.timelines.markRead(5);
    expect(t.timelines.room(5)?.mentioned).toBe(false);
    t.timelines.applyHidden(5, 2);
    expect(t.timelines.room(5)?.messages.get(2)?.hidden).toBe(true);
    t.timelines.applyEvent(message(5, 3, 2, { kind: 'member_banned', users: [ME], text: null }));
    await settle();
    expect(t.timelines.rooms().map((r) => r.room.id)).toEqual([6]);
  });

  it('sends structured mentions with the message', async () => {
    const t = setup();
    t.timelines.send(5, '@bob @room hi', { mentions: [2, 2, 3], mentionRoom: true });
    await settle();
    expect(t.socket.sent.find((f) => f.type === 'send')).toMatchObject({ text: '@bob @room hi', mentions: [2, 3], mention_room: true });
  });

  it('jumps to an older message with one history page around it when that page reaches the held events', async () => {
    const all = Array.from({ length: 80 }, (_, i) => message(5, i + 1));
    const t = setup({ history: (_r, f) => (f.around !== undefined ? all.slice(Math.max(0, f.around - 26), f.around + 24) : []) });
    await t.timelines.applySync(t.socket, sync([{ room: room(5, { last_seq: 80 }), events: all.slice(40), snapshot: true, has_more: false, read_seq: 80, unread_count: 0 }]));
    expect(t.timelines.room(5)?.base).toBe(40);
    expect(await t.timelines.ensureLoaded(5, 20)).toBe(true);
    const r = t.timelines.room(5)!;
    expect(r.base).toBe(0);
    expect(r.events.map((e) => e.seq)).toEqual(all.map((e) => e.seq));
    expect(r.messages.get(20)?.text).toBe('m20');
    expect(t.socket.sent.filter((f) => f.type === 'history')).toEqual([{ type: 'history', room: 5, around: 20, limit: 50 }]);
  });

  it('keeps a room whose history holds an old removal or ban of mine when I was added back since', async () => {
    const t = setup();
    const events = [
      message(5, 1, 2, { kind: 'room_created', users: [2, ME], text: null }),
      message(5, 2, 2, { kind: 'member_banned', users: [ME], text: null }),
      message(5, 3, 2, { kind: 'member_unbanned', users: [ME], text: null }),
      message(5, 4, 2, { kind: 'members_added', users: [ME], text: null }),
      message(5, 5),
    ];
    await t.timelines.applySync(t.socket, sync([{ room: room(5, { last_seq: 5 }), events, snapshot: true, has_more: false, read_seq: 5, unread_count: 0 }]));
    await settle();
    expect(t.timelines.rooms().map((r) => r.room.id)).toEqual([5]);
    t.timelines.applyEvent(message(5, 6, 2, { kind: 'member_removed', users: [ME], text: null })); // live: it goes
    await settle();
    expect(t.timelines.rooms()).toEqual([]);
  });
});
