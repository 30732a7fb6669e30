import { describe, expect, it, vi } from 'vitest';
import { Commands, type CommandApi } from './commands';
import { room, settle } from './test/fakes';
import type { UserDto } from './types';

function setup(contacts: number[] = []) {
  const calls: string[] = [];
  const users: Record<string, UserDto> = {
    bob: { id: 2, username: 'bob', display_name: 'Bob', created_at: 0 },
    carol: { id: 3, username: 'carol', display_name: 'Carol', created_at: 0 },
  };
  const api: CommandApi = {
    userByName: (n) => (users[n] ? Promise.resolve(users[n]) : Promise.reject(new Error('not_found'))),
    createDirect: (id) => {
      calls.push(`direct ${id}`);
      return Promise.resolve(room(10, { kind: 'direct', peer: id }));
    },
    createRoom: (kind, name, members = []) => {
      calls.push(`${kind} ${name} ${members.join(',')}`);
      return Promise.resolve(room(11, { kind, name }));
    },
    join: (id) => {
      calls.push(`join ${id}`);
      return Promise.resolve(room(id, { kind: 'channel' }));
    },
    leave: (id) => {
      calls.push(`leave ${id}`);
      return Promise.resolve();
    },
    addContact: (id) => {
      calls.push(`contact ${id}`);
      return Promise.resolve();
    },
  };
  const targets = {
    directory: { remember: vi.fn(), hasContact: (id: number) => contacts.includes(id), loadContacts: vi.fn(() => Promise.resolve()) },
    adopt: vi.fn(() => Promise.resolve()),
    dropRoom: vi.fn(),
  };
  return { calls, targets, commands: new Commands(api, targets) };
}

describe('Commands', () => {
  it('opens a direct chat by username: creates it, adds the partner as a contact, adopts the room', async () => {
    const { calls, targets, commands } = setup();
    const r = await commands.directWithUsername('bob');
    await settle();
    expect(r.peer).toBe(2);
    expect(calls).toEqual(['direct 2', 'contact 2']);
    expect(targets.adopt).toHaveBeenCalledWith(r);
    expect(targets.directory.loadContacts).toHaveBeenCalled();
  });

  it('does not add a partner who is already a contact', async () => {
    const { calls, commands } = setup([2]);
    await commands.directWith({ id: 2 });
    await settle();
    expect(calls).toEqual(['direct 2']);
  });

  it('creates a group from usernames and fails without creating anything for an unknown one', async () => {
    const { calls, targets, commands } = setup();
    await commands.createGroup('Trio', ['bob', 'carol']);
    expect(calls).toEqual(['group Trio 2,3']);
    expect(targets.adopt).toHaveBeenCalledTimes(1);
    await expect(commands.createGroup('Duo', ['nobody'])).rejects.toThrow('not_found');
    expect(calls).toEqual(['group Trio 2,3']);
  });

  it('joins a channel and adopts it; leaving drops the room', async () => {
    const { calls, targets, commands } = setup();
    await commands.joinChannel(5);
    await commands.leave(5);
    expect(calls).toEqual(['join 5', 'leave 5']);
    expect(targets.adopt).toHaveBeenCalledTimes(1);
    expect(targets.dropRoom).toHaveBeenCalledWith(5);
  });
});
