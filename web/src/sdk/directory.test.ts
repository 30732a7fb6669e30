import { describe, expect, it, vi } from 'vitest';
import { Directory, type DirectoryApi } from './directory';
import { settle } from './test/fakes';
import type { ContactDto, PresenceDto, UserDto } from './types';

function api(over: Partial<DirectoryApi> = {}): DirectoryApi & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    user: (id) => {
      calls.push(`user ${id}`);
      return Promise.resolve<UserDto>({ id, username: `u${id}`, display_name: `Name ${id}`, created_at: 0 });
    },
    contacts: () => Promise.resolve<ContactDto[]>([]),
    presence: (id) => {
      calls.push(`presence ${id}`);
      return Promise.resolve<PresenceDto>({ user_id: id, online: true, last_seen: 5 });
    },
    ...over,
  };
}

const me = { id: 1, username: 'me', display_name: 'Me', created_at: 0 };

describe('Directory', () => {
  it('fetches an unknown user once and announces it', async () => {
    const a = api();
    const emit = vi.fn();
    const d = new Directory(a, () => me, emit);
    expect(d.user(2)).toBeUndefined();
    expect(d.user(2)).toBeUndefined();
    await settle();
    expect(a.calls).toEqual(['user 2']);
    expect(emit).toHaveBeenCalled();
    expect(d.displayName(2)).toBe('Name 2');
    expect(d.displayName(1)).toBe('Me');
  });

  it('names a direct chat after the partner and a group after itself', async () => {
    const d = new Directory(api(), () => me, () => undefined);
    d.remember({ id: 3, username: 'c', display_name: 'Carol', created_at: 0 });
    const base = { id: 9, created_by: 1, created_at: 0, last_seq: 0, last_activity_at: 0, member_count: 2 };
    expect(d.roomTitle({ ...base, kind: 'direct', peer: 3 })).toBe('Carol');
    expect(d.roomTitle({ ...base, kind: 'group', name: 'Limes' })).toBe('Limes');
  });

  it('takes presence from the contact list for mutual contacts only', async () => {
    const contacts: ContactDto[] = [
      { user_id: 2, username: 'b', display_name: 'Bob', online: true, mutual: true },
      { user_id: 3, username: 'c', display_name: 'Carol', online: false, mutual: false },
    ];
    const d = new Directory(api({ contacts: () => Promise.resolve(contacts) }), () => me, () => undefined);
    await d.loadContacts();
    expect(d.presenceOf(2)).toEqual({ online: true, lastSeen: undefined });
    expect(d.presenceOf(3)).toBeUndefined();
    expect(d.hasContact(3)).toBe(true);
    expect(d.displayName(3)).toBe('Carol');
  });

  it('asks for a partner presence once per connection, again after the connection was lost', async () => {
    const a = api();
    const d = new Directory(a, () => me, () => undefined);
    d.watchPresence(2);
    d.watchPresence(2);
    d.watchPresence(1); // myself: never
    await settle();
    expect(a.calls).toEqual(['presence 2']);
    expect(d.presenceOf(2)).toEqual({ online: true, lastSeen: 5 });
    d.connectionLost();
    d.watchPresence(2);
    await settle();
    expect(a.calls).toEqual(['presence 2', 'presence 2']);
  });

  it('ignores a presence answer overtaken by a presence frame', async () => {
    let answer: (p: PresenceDto) => void = () => undefined;
    const d = new Directory(api({ presence: () => new Promise((r) => (answer = r)) }), () => me, () => undefined);
    d.watchPresence(2);
    d.applyPresence({ type: 'presence', user: 2, online: false, last_seen: 9 });
    answer({ user_id: 2, online: true });
    await settle();
    expect(d.presenceOf(2)).toEqual({ online: false, lastSeen: 9 });
  });

  it('asks again after a refused presence request', async () => {
    let refuse = true;
    const a = api({ presence: (id) => (refuse ? Promise.reject(new Error('403')) : Promise.resolve({ user_id: id, online: true })) });
    const d = new Directory(a, () => me, () => undefined);
    d.watchPresence(2);
    await settle();
    expect(d.presenceOf(2)).toBeUndefined();
    refuse = false;
    d.watchPresence(2);
    await settle();
    expect(d.presenceOf(2)?.online).toBe(true);
  });
});
