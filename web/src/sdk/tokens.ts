import type { TokenResponse, UserDto } from './types';

/** What a signed-in device holds. `expires_at` is the access token's expiry in local clock milliseconds. */
export interface StoredSession {
  access_token: string;
  refresh_token: string;
  expires_at: number;
  /** The access token's lifetime when issued (ms). */
  lifetime_ms: number;
  device_id: number;
  user: UserDto;
}

/** How long before expiry a token is refreshed: a minute, or a quarter of a short lifetime. */
export function refreshMargin(s: StoredSession): number {
  return Math.min(60_000, (s.lifetime_ms || 900_000) / 4);
}

/** Minimal storage interface (window.localStorage, or a Map-backed stand-in). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const KEY = 'lime.session';

/**
 * Tokens in memory, mirrored to localStorage so a reload (or another tab) stays signed in.
 *
 * Trade-off: localStorage is readable by any script running on this origin, so an XSS bug would expose the
 * refresh token. The client renders every message as text and the server sends a strict Content-Security-Policy
 * (no inline or foreign scripts), which is the mitigation; an HttpOnly cookie would need a server-side session
 * endpoint that LIME's token API does not have. Refresh tokens rotate: the newest one is always written back here,
 * and other tabs pick it up through the `storage` event instead of using a spent one.
 */
export class TokenStore {
  private current: StoredSession | null;
  private readonly listeners = new Set<(s: StoredSession | null) => void>();

  constructor(private readonly storage: KeyValueStorage | null = safeLocalStorage()) {
    this.current = this.read();
    if (typeof window !== 'undefined') {
      window.addEventListener('storage', (e) => {
        if (e.key === KEY) {
          this.current = this.read();
          this.emit();
        }
      });
    }
  }

  get(): StoredSession | null {
    return this.current;
  }

  /** Re-reads storage (another tab may have rotated the refresh token). */
  reload(): StoredSession | null {
    this.current = this.read();
    return this.current;
  }

  set(tokens: TokenResponse): StoredSession {
    const session: StoredSession = {
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token,
      expires_at: Date.now() + tokens.expires_in * 1000,
      lifetime_ms: tokens.expires_in * 1000,
      device_id: tokens.device_id,
      user: tokens.user,
    };
    this.current = session;
    this.storage?.setItem(KEY, JSON.stringify(session));
    this.emit();
    return session;
  }

  updateUser(user: UserDto): void {
    if (this.current) {
      this.current = { ...this.current, user };
      this.storage?.setItem(KEY, JSON.stringify(this.current));
      this.emit();
    }
  }

  clear(): void {
    this.current = null;
    this.storage?.removeItem(KEY);
    this.emit();
  }

  subscribe(listener: (s: StoredSession | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    for (const l of this.listeners) l(this.current);
  }

  private read(): StoredSession | null {
    try {
      const raw = this.storage?.getItem(KEY);
      if (!raw) return null;
      const s = JSON.parse(raw) as Partial<StoredSession>;
      if (typeof s.access_token !== 'string' || typeof s.refresh_token !== 'string' || !s.user) return null;
      return s as StoredSession;
    } catch {
      return null;
    }
  }
}

function safeLocalStorage(): KeyValueStorage | null {
  try {
    return typeof window !== 'undefined' ? window.localStorage : null;
  } catch {
    return null;
  }
}
