import type { BrowserEnv, OpenSocket } from '../connection';
import type { SocketHandlers } from '../socket';
import { TokenStore, type KeyValueStorage } from '../tokens';
import type { ClientFrame, EventDto, HelloFrame, RoomDto, ServerFrame } from '../types';

/** localStorage stand-in. */
export class MemoryStorage implements KeyValueStorage {
  readonly map = new Map<string, string>();
  getItem(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.map.set(key, value);
  }
  removeItem(key: string): void {
    this.map.delete(key);
  }
}

export function signedInTokens(userId = 1): TokenStore {
  const tokens = new TokenStore(new MemoryStorage());
  tokens.set({
    access_token: 'a',
    refresh_token: 'r',
    expires_in: 900,
    device_id: 7,
    user: { id: userId, username: `u${userId}`, display_name: `User ${userId}`, created_at: 0 },
  });
  return tokens;
}

export const hello: HelloFrame = {
  type: 'hello',
  user_id: 1,
  device_id: 7,
  connection_id: 'c',
  server_time: 0,
  heartbeat_interval_ms: 15000,
  idle_timeout_ms: 45000,
  max_text_bytes: 100,
  max_frame_bytes: 1000,
  large_room_members: 5,
};

/** A socket whose replies a test scripts; `sent` records every frame. */
export class FakeSocket implements OpenSocket {
  readonly hello = hello;
  isOpen = true;
  readonly sent: Omit<ClientFrame, 'id'>[] = [];
  /** Answers a request (throw or reject to fail it); the default answers nothing (the promise stays pending). */
  reply: (frame: Omit<ClientFrame, 'id'>) => Promise<ServerFrame> = () => new Promise(() => undefined);

  constructor(private readonly handlers?: SocketHandlers) {}

  request<T extends ServerFrame>(frame: Omit<ClientFrame, 'id'>): Promise<T> {
    this.sent.push(frame);
    return this.reply(frame) as Promise<T>;
  }

  post(frame: Omit<ClientFrame, 'id'>): void {
    this.sent.push(frame);
  }

  close(code = 1000, reason = ''): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.handlers?.onClose(code, reason);
  }

  /** The server pushes a frame. */
  push(frame: ServerFrame): void {
    this.handlers?.onFrame(frame);
  }
}

export class FakeEnv implements BrowserEnv {
  isOnline = true;
  isVisible = true;
  private readonly listeners = new Map<string, Set<() => void>>();
  online(): boolean {
    return this.isOnline;
  }
  visible(): boolean {
    return this.isVisible;
  }
  listen(name: string, fn: () => void): () => void {
    const set = this.listeners.get(name) ?? new Set();
    set.add(fn);
    this.listeners.set(name, set);
    return () => set.delete(fn);
  }
  fire(name: string): void {
    for (const fn of this.listeners.get(name) ?? []) fn();
  }
  count(name: string): number {
    return this.listeners.get(name)?.size ?? 0;
  }
}

export function room(id: number, over: Partial<RoomDto> = {}): RoomDto {
  return {
    id,
    kind: 'group',
    name: `Room ${id}`,
    created_by: 1,
    created_at: 0,
    last_seq: 0,
    last_activity_at: 0,
    member_count: 2,
    ...over,
  };
}

export function message(roomId: number, seq: number, sender = 2, over: Partial<EventDto> = {}): EventDto {
  return { id: `${roomId}-${seq}`, room: roomId, seq, kind: 'message', sender, ts: seq * 1000, text: `m${seq}`, ...over };
}

/** Lets pending promise callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** A promise and its resolve (Promise.withResolvers needs Node 22). */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (e: unknown) => void } {
  let resolve: (value: T) => void = () => undefined;
  let reject: (e: unknown) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
