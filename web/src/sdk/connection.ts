import { SessionEndedError } from './errors';
import { LimeSocket, type SocketHandlers } from './socket';
import { refreshMargin, type TokenStore } from './tokens';
import { CloseCodes, type HelloFrame, type ServerFrame } from './types';

/** Where the connection loop is: the UI shows a banner for everything but `live`. */
export type ConnectionStatus = 'connecting' | 'catching_up' | 'live' | 'offline' | 'signed_out';

export interface ConnectionInfo {
  status: ConnectionStatus;
  /** When the next reconnect attempt is due (status `offline`). */
  retryAt?: number;
  /** Whether the browser reports no network at all. */
  networkDown: boolean;
  /** True once a first catch-up finished (before that the room list is still loading). */
  ready: boolean;
}

/** What the loop needs of an open socket ({@link LimeSocket} is one). */
export interface OpenSocket {
  readonly hello: HelloFrame;
  readonly isOpen: boolean;
  request: LimeSocket['request'];
  post: LimeSocket['post'];
  close(code?: number, reason?: string): void;
}

export type SocketOpener = (url: string, handlers: SocketHandlers) => Promise<OpenSocket>;

/** The REST side the loop needs (a subset of {@link LimeApi}). */
export interface ConnectionApi {
  readonly tokens: TokenStore;
  me(): Promise<unknown>;
  socketUrl(): Promise<string>;
  accessToken(force?: boolean): Promise<string>;
}

/** The browser around the loop: network state, visibility, and its events (a stand-in in unit tests). */
export interface BrowserEnv {
  online(): boolean;
  visible(): boolean;
  /** Adds a listener for `online`, `offline` or `visibilitychange`; returns its removal. */
  listen(name: 'online' | 'offline' | 'visibilitychange', fn: () => void): () => void;
}

/** What the owner of the loop does at each stage. */
export interface ConnectionHooks {
  /** A frame that is not a reply. During catch-up, all but typing and presence are held and delivered after it. */
  onFrame(frame: ServerFrame): void;
  /** Catches up on a fresh socket (one sync round trip); a throw drops the socket and retries. */
  catchUp(socket: OpenSocket): Promise<void>;
  /** The socket is live: caught up, held frames delivered. */
  onLive(socket: OpenSocket): void;
  /** The socket closed (any reason). */
  onLost(): void;
  /** The session ended (4001, or the refresh token was refused). */
  onSignedOut(): void;
  /** Something observable changed (status). */
  emit(): void;
}

const MAX_BACKOFF_MS = 30_000;

/**
 * The connection loop (docs/protocol.md §7): connect `/ws` with a fresh token, catch up, go live; on any drop except
 * 4001 "logged out" reconnect after a random delay in [0, min(30 s, 0.5 s × 2^attempt)], immediately when the browser
 * comes back online or the page becomes visible; without network wait for the `online` event (or a slow fallback).
 * Tokens are refreshed ahead of expiry. Every attempt has its own number: `stop()` and newer attempts make older
 * ones stale (their frames and close are ignored), which also keeps React's mount → unmount → mount harmless.
 */
export class Connection {
  private socketNow: OpenSocket | null = null;
  private helloNow: HelloFrame | null = null;
  private connecting = false;
  private connectSeq = 0;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private held: ServerFrame[] | null = null;
  private infoNow: ConnectionInfo = { status: 'connecting', networkDown: false, ready: false };
  private started = false;
  private readonly unlisten: (() => void)[] = [];

  constructor(
    private readonly api: ConnectionApi,
    private readonly hooks: ConnectionHooks,
    private readonly env: BrowserEnv = browserEnv(),
    private readonly open: SocketOpener = (url, handlers) => LimeSocket.connect(url, handlers),
  ) {}

  get info(): ConnectionInfo {
    return this.infoNow;
  }

  /** The open socket (null while connecting or offline). */
  get socket(): OpenSocket | null {
    return this.socketNow;
  }

  /** The last hello (kept across reconnects; null before the first). */
  get hello(): HelloFrame | null {
    return this.helloNow;
  }

  /** Between start() and stop(). */
  get running(): boolean {
    return this.started;
  }

  get isLive(): boolean {
    return this.infoNow.status === 'live' && this.socketNow !== null;
  }

  start(): void {
    if (this.started || !this.api.tokens.get()) return;
    this.started = true;
    this.unlisten.push(
      this.env.listen('online', () => this.reconnectNow()),
      this.env.listen('offline', () => {
        this.infoNow = { ...this.infoNow, networkDown: true };
        this.socketNow?.close(4000, 'network down');
        this.hooks.emit();
      }),
      this.env.listen('visibilitychange', () => {
        if (this.env.visible() && !this.socketNow && !this.connecting) this.reconnectNow();
      }),
      this.api.tokens.subscribe(() => this.scheduleRefresh()),
    );
    this.scheduleRefresh();
    void this.connect();
  }

  stop(): void {
    this.started = false;
    clearTimeout(this.retryTimer);
    clearTimeout(this.refreshTimer);
    for (const off of this.unlisten.splice(0)) off();
    this.connectSeq++;
    this.connecting = false;
    const s = this.socketNow;
    this.socketNow = null;
    s?.close();
  }

  /** Reconnects at once (the banner's "Retry now", the browser's `online` event). */
  reconnectNow(): void {
    this.infoNow = { ...this.infoNow, networkDown: !this.env.online() };
    if (!this.started || this.socketNow || this.connecting) {
      this.hooks.emit();
      return;
    }
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    void this.connect();
  }

  /** Ends the session here (the caller cleared the tokens). */
  signedOut(): void {
    this.stop();
    this.infoNow = { ...this.infoNow, status: 'signed_out' };
    this.hooks.emit();
    this.hooks.onSignedOut();
  }

  private async connect(): Promise<void> {
    if (!this.started || this.connecting || this.socketNow) return;
    if (!this.env.online()) {
      this.scheduleRetry(true);
      return;
    }
    const attempt = ++this.connectSeq;
    const current = () => attempt === this.connectSeq && this.started;
    this.connecting = true;
    this.setStatus('connecting');
    let socket: OpenSocket | null = null;
    try {
      if (this.attempt >= 2) {
        // A refused upgrade looks like any other failure to a browser; a REST call shows whether the token is
        // the problem (a 401 there refreshes it).
        await this.api.me().catch((e: unknown) => {
          if (e instanceof SessionEndedError) throw e;
        });
      }
      const url = await this.api.socketUrl();
      if (!current()) return;
      this.held = [];
      socket = await this.open(url, {
        onFrame: (f) => {
          if (current()) this.onFrame(f);
        },
        onClose: (code) => {
          if (current()) this.onClose(code);
        },
      });
      if (!current()) {
        socket.close();
        return;
      }
      this.socketNow = socket;
      this.helloNow = socket.hello;
      this.setStatus('catching_up');
      await this.hooks.catchUp(socket);
      if (!current()) return;
      const held = this.held ?? [];
      this.held = null;
      for (const f of held) this.hooks.onFrame(f);
      if (this.socketNow !== socket || !current()) return;
      this.attempt = 0;
      this.infoNow = { ...this.infoNow, ready: true, networkDown: false };
      this.setStatus('live');
      this.hooks.onLive(socket);
    } catch (e) {
      if (!current()) return;
      this.held = null;
      if (e instanceof SessionEndedError) {
        this.signedOut();
        return;
      }
      if (socket) {
        // Its close handler schedules the retry (it already did if the socket died first).
        if (socket.isOpen) socket.close(1000, 'catch-up failed');
      } else {
        this.scheduleRetry();
      }
    } finally {
      if (attempt === this.connectSeq) this.connecting = false;
    }
  }

  private onFrame(frame: ServerFrame): void {
    if (this.held && frame.type !== 'typing' && frame.type !== 'presence') {
      this.held.push(frame);
      return;
    }
    this.hooks.onFrame(frame);
  }

  private onClose(code: number): void {
    this.socketNow = null;
    this.held = null;
    this.hooks.onLost();
    if (code === CloseCodes.loggedOut) {
      this.api.tokens.clear();
      this.signedOut();
      return;
    }
    if (this.started) this.scheduleRetry();
  }

  private scheduleRetry(networkDown = !this.env.online()): void {
    if (!this.started) return;
    clearTimeout(this.retryTimer);
    this.attempt++;
    const ceiling = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(this.attempt, 16));
    // Without network only the `online` event (or a slow fallback poll, in case the browser is wrong) resumes.
    const delay = networkDown ? MAX_BACKOFF_MS : Math.max(100, Math.random() * ceiling);
    this.infoNow = { ...this.infoNow, status: 'offline', retryAt: Date.now() + delay, networkDown };
    this.hooks.emit();
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  private setStatus(status: ConnectionStatus): void {
    this.infoNow = { ...this.infoNow, status, retryAt: undefined };
    this.hooks.emit();
  }

  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    const s = this.api.tokens.get();
    if (!s || !this.started) return;
    // Refresh ahead of expiry (the open socket is unaffected; the new token is for REST and reconnects).
    const due = Math.max(1_000, s.expires_at - Date.now() - refreshMargin(s));
    this.refreshTimer = setTimeout(() => {
      this.api.accessToken(true).then(
        () => this.scheduleRefresh(),
        (e: unknown) => {
          if (e instanceof SessionEndedError) this.signedOut();
          else {
            this.refreshTimer = setTimeout(() => this.scheduleRefresh(), 15_000);
          }
        },
      );
    }, due);
  }
}

/** The real browser: `navigator.onLine`, `document.visibilityState`, window/document events. */
export function browserEnv(): BrowserEnv {
  return {
    online: () => typeof navigator === 'undefined' || navigator.onLine,
    visible: () => typeof document === 'undefined' || document.visibilityState === 'visible',
    listen: (name, fn) => {
      const target: EventTarget = name === 'visibilitychange' ? document : window;
      target.addEventListener(name, fn);
      return () => target.removeEventListener(name, fn);
    },
  };
}
