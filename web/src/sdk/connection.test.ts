import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Connection, type ConnectionApi, type ConnectionHooks, type OpenSocket } from './connection';
import { SessionEndedError } from './errors';
import type { SocketHandlers } from './socket';
import { FakeEnv, FakeSocket, deferred, settle, signedInTokens } from './test/fakes';
import type { ServerFrame } from './types';

function setup() {
  const env = new FakeEnv();
  const tokens = signedInTokens();
  const api: ConnectionApi & { meCalls: number } = {
    tokens,
    meCalls: 0,
    me() {
      this.meCalls++;
      return Promise.resolve({});
    },
    socketUrl: () => Promise.resolve('ws://x/ws'),
    accessToken: () => Promise.resolve('a'),
  };
  const sockets: FakeSocket[] = [];
  let failNext = 0;
  const open = (_url: string, handlers: SocketHandlers): Promise<OpenSocket> => {
    if (failNext > 0) {
      failNext--;
      return Promise.reject(new Error('refused'));
    }
    const s = new FakeSocket(handlers);
    s.reply = (f) => (f.type === 'sync' ? catchUp.promise : Promise.reject(new Error('unexpected')));
    sockets.push(s);
    return Promise.resolve(s);
  };
  let catchUp = deferred<ServerFrame>();
  const frames: ServerFrame[] = [];
  const events: string[] = [];
  const hooks: ConnectionHooks = {
    onFrame: (f) => frames.push(f),
    catchUp: async (s) => {
      events.push('catch-up');
      await s.request({ type: 'sync' });
    },
    onLive: () => events.push('live'),
    onLost: () => events.push('lost'),
    onSignedOut: () => events.push('signed out'),
    emit: () => undefined,
  };
  const conn = new Connection(api, hooks, env, open);
  return {
    env,
    api,
    tokens,
    sockets,
    frames,
    events,
    conn,
    failNext: (n: number) => (failNext = n),
    finishCatchUp: () => {
      catchUp.resolve({ type: 'sync', sync: { rooms: [], left: [], total_unread: 0, server_time: 0 } });
      catchUp = deferred<ServerFrame>();
    },
  };
}

describe('Connection', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('connects, catches up, then goes live; frames other than typing and presence wait for the catch-up', async () => {
    const t = setup();
    t.conn.start();
    await settle();
    expect(t.conn.info.status).toBe('catching_up');
    expect(t.conn.hello?.large_room_members).toBe(5);
    const s = t.sockets[0];
    s.push({ type: 'event', event: { id: '1', room: 1, seq: 1, kind: 'message', sender: 2, ts: 0 } });
    s.push({ type: 'typing', room: 1, user: 2, expires_in_ms: 6000 });
    expect(t.frames.map((f) => f.type)).toEqual(['typing']);
    t.finishCatchUp();
    await settle();
    expect(t.frames.map((f) => f.type)).toEqual(['typing', 'event']);
    expect(t.events).toEqual(['catch-up', 'live']);
    expect(t.conn.info).toMatchObject({ status: 'live', ready: true });
    expect(t.conn.isLive).toBe(true);
  });

  it('reconnects after a drop within the backoff ceiling, and catches up again', async () => {
    const t = setup();
    t.conn.start();
    await settle();
    t.finishCatchUp();
    await settle();
    t.sockets[0].close(1006);
    expect(t.conn.info.status).toBe('offline');
    expect(t.events).toContain('lost');
    const retryAt = t.conn.info.retryAt ?? 0;
    expect(retryAt - Date.now()).toBeLessThanOrEqual(1000); // 0.5 s × 2^1
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.sockets).toHaveLength(2);
    t.finishCatchUp();
    await settle();
    expect(t.events.filter((e) => e === 'live')).toHaveLength(2);
  });

  it('backs off further after each failed attempt and checks the token over REST from the second one', async () => {
    const t = setup();
    t.failNext(3);
    t.conn.start();
    await settle();
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      expect(t.conn.info.status).toBe('offline');
      const delay = (t.conn.info.retryAt ?? 0) - Date.now();
      delays.push(delay);
      await vi.advanceTimersByTimeAsync(delay);
    }
    expect(delays[0]).toBeLessThanOrEqual(1000);
    expect(delays[1]).toBeLessThanOrEqual(2000);
    expect(delays[2]).toBeLessThanOrEqual(4000);
    expect(t.api.meCalls).toBeGreaterThanOrEqual(2);
    expect(t.sockets).toHaveLength(1); // the fourth attempt connected
  });

  it('on close 4001 forgets the tokens and stops', async () => {
    const t = setup();
    t.conn.start();
    await settle();
    t.sockets[0].close(4001);
    expect(t.conn.info.status).toBe('signed_out');
    expect(t.tokens.get()).toBeNull();
    expect(t.events).toContain('signed out');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.sockets).toHaveLength(1);
  });

  it('signs out when the session has ended', async () => {
    const t = setup();
    t.failNext(2);
    t.api.me = () => Promise.reject(new SessionEndedError());
    t.conn.start();
    await settle();
    await vi.advanceTimersByTimeAsync(30_000);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(t.conn.info.status).toBe('signed_out');
  });

  it('waits for the network: no attempt while offline, one as soon as the browser is online', async () => {
    const t = setup();
    t.env.isOnline = false;
    t.conn.start();
    await settle();
    expect(t.sockets).toHaveLength(0);
    expect(t.conn.info).toMatchObject({ status: 'offline', networkDown: true });
    t.env.isOnline = true;
    t.env.fire('online');
    await settle();
    expect(t.sockets).toHaveLength(1);
  });

  it('closes the socket when the browser goes offline, and stop() removes its listeners and ignores the old socket', async () => {
    const t = setup();
    t.conn.start();
    await settle();
    t.finishCatchUp();
    await settle();
    t.env.isOnline = false;
    t.env.fire('offline');
    expect(t.sockets[0].isOpen).toBe(false);
    expect(t.conn.info.networkDown).toBe(true);
    t.conn.stop();
    expect(t.env.count('online') + t.env.count('offline') + t.env.count('visibilitychange')).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.sockets).toHaveLength(1);
  });
});
