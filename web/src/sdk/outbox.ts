import type { KeyValueStorage } from './tokens';

export type SendState = 'sending' | 'sent' | 'failed';

/** A message composed on this device that is not yet known to be in its room's timeline. */
export interface OutboxItem {
  client_msg_id: string;
  room: number;
  text: string;
  reply_to?: number;
  /** User ids mentioned, and `@room` (docs/protocol.md §12). */
  mentions?: number[];
  mention_room?: boolean;
  created_at: number;
  state: SendState;
  /** Why it failed (permanent refusal), shown next to the retry button. */
  error?: string;
  /** The acknowledged seq, once the server has stored it. */
  seq?: number;
}

/**
 * Unsent messages, in composition order, persisted per user so a reload or a crash does not lose them. An item is
 * removed once acknowledged (a retry after that would be answered `duplicate: true` anyway, because the
 * client_msg_id never changes).
 */
export class Outbox {
  private items: OutboxItem[] = [];
  private key = '';

  constructor(private readonly storage: KeyValueStorage | null) {}

  load(userId: number): void {
    this.key = `lime.outbox.${userId}`;
    try {
      const raw = this.storage?.getItem(this.key);
      const parsed = raw ? (JSON.parse(raw) as OutboxItem[]) : [];
      this.items = Array.isArray(parsed)
        ? parsed.filter((i) => typeof i.client_msg_id === 'string' && typeof i.room === 'number' && typeof i.text === 'string')
            .map((i) => ({ ...i, state: i.state === 'failed' ? 'failed' : 'sending' }))
        : [];
    } catch {
      this.items = [];
    }
  }

  all(): readonly OutboxItem[] {
    return this.items;
  }

  forRoom(room: number): OutboxItem[] {
    return this.items.filter((i) => i.room === room);
  }

  find(clientMsgId: string): OutboxItem | undefined {
    return this.items.find((i) => i.client_msg_id === clientMsgId);
  }

  add(item: OutboxItem): void {
    this.items.push(item);
    this.save();
  }

  update(clientMsgId: string, change: Partial<OutboxItem>): OutboxItem | undefined {
    const i = this.items.findIndex((x) => x.client_msg_id === clientMsgId);
    if (i < 0) return undefined;
    this.items[i] = { ...this.items[i], ...change };
    this.save();
    return this.items[i];
  }

  remove(clientMsgId: string): boolean {
    const before = this.items.length;
    this.items = this.items.filter((i) => i.client_msg_id !== clientMsgId);
    if (this.items.length !== before) {
      this.save();
      return true;
    }
    return false;
  }

  removeRoom(room: number): void {
    this.items = this.items.filter((i) => i.room !== room);
    this.save();
  }

  private save(): void {
    if (!this.key) return;
    try {
      // Acknowledged items are kept in memory only until their event shows up; they never need re-sending.
      const unsent = this.items.filter((i) => i.state !== 'sent');
      if (unsent.length) this.storage?.setItem(this.key, JSON.stringify(unsent));
      else this.storage?.removeItem(this.key);
    } catch {
      // Storage full or disabled: the outbox still works for this page's lifetime.
    }
  }
}

/** A random client_msg_id (crypto.randomUUID needs a secure context; getRandomValues does not). */
export function newClientMsgId(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === 'function' && globalThis.isSecureContext) return c.randomUUID();
  const bytes = c.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
