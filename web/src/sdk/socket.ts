import { ConnectionLostError, LimeError } from './errors';
import type { ClientFrame, HelloFrame, ServerFrame } from './types';

export interface SocketHandlers {
  /** Frames that are not replies: event, read, typing, presence, id-less errors, unknown types. */
  onFrame(frame: ServerFrame): void;
  /** Called once, when the connection ends for any reason (`code` 1006 when it dropped without a close frame). */
  onClose(code: number, reason: string): void;
}

interface Pending {
  resolve(frame: ServerFrame): void;
  reject(error: Error): void;
}

/**
 * One WebSocket connection speaking LIME frames: waits for `hello`, splits server messages on '\n' (the server
 * coalesces several frames into one message), pairs replies with requests by `id`, and sends a `ping` every
 * `heartbeat_interval_ms`. A connection that stays silent for two heartbeats is treated as dead and closed — a
 * browser does not notice a vanished network on its own.
 */
export class LimeSocket {
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private lastHeard = Date.now();
  private closed = false;

  private constructor(
    private readonly ws: WebSocket,
    readonly hello: HelloFrame,
    private readonly handlers: SocketHandlers,
  ) {}

  /** Opens the socket and resolves on `hello`; frames that arrive before it are delivered after. */
  static connect(url: string, handlers: SocketHandlers, timeoutMs = 10_000): Promise<LimeSocket> {
    return new Promise<LimeSocket>((resolve, reject) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(url);
      } catch (e) {
        reject(e instanceof Error ? e : new ConnectionLostError(String(e)));
        return;
      }
      let socket: LimeSocket | null = null;
      const early: ServerFrame[] = [];
      const timer = setTimeout(() => {
        ws.close();
        reject(new ConnectionLostError('Timed out connecting.'));
      }, timeoutMs);

      ws.onmessage = (m: MessageEvent) => {
        for (const frame of parseMessage(m.data)) {
          if (socket) {
            socket.receive(frame);
          } else if (frame.type === 'hello') {
            clearTimeout(timer);
            socket = new LimeSocket(ws, frame, handlers);
            socket.start();
            resolve(socket);
            for (const f of early.splice(0)) socket.receive(f);
          } else {
            early.push(frame);
          }
        }
      };
      ws.onclose = (e: CloseEvent) => {
        clearTimeout(timer);
        if (socket) {
          socket.finish(e.code, e.reason);
        } else {
          const error = new ConnectionLostError(e.code === 1006 ? 'Could not connect.' : `Closed (${e.code}).`);
          (error as ConnectionLostError & { closeCode?: number }).closeCode = e.code;
          reject(error);
        }
      };
      ws.onerror = () => {
        // Always followed by close.
      };
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Sends a request and resolves with its reply; an `error` reply rejects with {@link LimeError}. */
  request<T extends ServerFrame>(frame: Omit<ClientFrame, 'id'>): Promise<T> {
    if (this.closed) return Promise.reject(new ConnectionLostError());
    const id = String(this.nextId++);
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: (f) => resolve(f as T), reject });
      this.write({ ...frame, id });
    });
  }

  /** Sends a frame whose reply does not matter (typing). */
  post(frame: Omit<ClientFrame, 'id'>): void {
    if (!this.closed) this.write(frame);
  }

  close(code = 1000, reason = ''): void {
    if (this.closed) return;
    try {
      this.ws.close(code, reason);
    } catch {
      // Already closing.
    }
    // Do not wait for the close handshake (it may never come when the network is gone).
    this.finish(code, reason || 'closed by client');
  }

  private start(): void {
    const interval = Math.max(1000, this.hello.heartbeat_interval_ms);
    this.lastHeard = Date.now();
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastHeard > interval * 2 + 5000) {
        this.close(4000, 'heartbeat lost');
        return;
      }
      this.post({ type: 'ping' });
    }, interval);
  }

  private write(frame: ClientFrame): void {
    try {
      this.ws.send(JSON.stringify(frame));
    } catch {
      this.close(1006, 'send failed');
    }
  }

  private receive(frame: ServerFrame): void {
    this.lastHeard = Date.now();
    const id = 'id' in frame ? frame.id : undefined;
    if (id !== undefined && frame.type !== 'event') {
      const p = this.pending.get(id);
      if (p) {
        this.pending.delete(id);
        if (frame.type === 'error') p.reject(new LimeError(frame.code, frame.message, undefined, frame.retry_after_ms));
        else p.resolve(frame);
        return;
      }
    }
    if (frame.type === 'pong') return;
    this.handlers.onFrame(frame);
  }

  private finish(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.ws.onmessage = null;
    this.ws.onclose = null;
    const lost = new ConnectionLostError();
    for (const p of this.pending.values()) p.reject(lost);
    this.pending.clear();
    this.handlers.onClose(code, reason);
  }
}

/** Splits one server WebSocket message into frames ('\n'-separated JSON objects); unreadable pieces are skipped. */
export function parseMessage(data: unknown): ServerFrame[] {
  if (typeof data !== 'string') return [];
  const frames: ServerFrame[] = [];
  for (const piece of data.split('\n')) {
    if (!piece.trim()) continue;
    try {
      const value = JSON.parse(piece) as unknown;
      if (value && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string') {
        frames.push(value as ServerFrame);
      }
    } catch {
      // A frame we cannot read is ignored, like an unknown type.
    }
  }
  return frames;
}
