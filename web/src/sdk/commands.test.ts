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
  const op = (name: string) => (...args: unknown[]) => {
    calls.push(`${name} ${args.filter((a) => a !== undefined && !(typeof a === 'string' && /^[0-9a-f-]{32,36}$/.test(a))).join(' ')}`);
    return Promise.resolve({ room: args[0] as number, changed: true, duplicate: false });
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
      // Channel 9 requires approval: 202 {pending: true}, no room.
      return Promise.resolve(id === 9 ? { pending: true } : { pending: false, room: room(id, { kind: 'channel' }) });
    },
    leave: (id) => {
      calls.push(`leave ${id}`);
      return Promise.resolve();
    },
    addContact: (id) => {
      calls.push(`contact ${id}`);
      return Promise.resolve();
    },
    edit: op('edit'),
    deleteMessage: op('delete'),
    react: op('react'),
    unreact: op('unreact'),
    pin: op('pin'),
    unpin: op('unpin'),
    hide: (r, seq) => {
      calls.push(`hide ${r} ${seq}`);
      return Promise.resolve();
    },
    ban: op('ban'),
    mute: op('mute'),
    unmute: op('unmute'),
    joinByInvite: (code) => {
      calls.push(`invite ${code}`);
      return Promise.resolve(code === 'wait' ? { pending: true } : { pending: false, room: room(12, { kind: 'group' }) });
    },
    removeMember: (r, u) => {
      calls.push(`kick ${r} ${u}`);
      return Promise.resolve();
    },
  };
  const targets = {
    directory: { remember: vi.fn(), hasContact: (id: number) => contacts.includes(id), loadContacts: vi.fn(() => Promise.resolve()) },
    adopt: vi.fn(() => Promise.resolve()),
    dropRoom: vi.fn(),
    hide: vi.fn(),
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

  it('joining a channel that requires approval answers pending and adopts nothing (no room to open)', async () => {
    const { calls, targets, commands } = setup();
    const outcome = await commands.joinChannel(9);
    expect(outcome).toEqual({ pending: true });
    expect(calls).toEqual(['join 9']);
    expect(targets.adopt).not.toHaveBeenCalled();
    const joined = await commands.joinChannel(5);
    expect(joined.pending).toBe(false);
    expect(targets.adopt).toHaveBeenCalledTimes(1);
  });

  it('joins by invite code: adopts the room, or answers pending where approval is required', async () => {
    const { calls, targets, commands } = setup();
    expect(await commands.joinByInvite('wait')).toEqual({ pending: true });
    expect(targets.adopt).not.toHaveBeenCalled();
    const joined = await commands.joinByInvite('abc');
    expect(joined.pending === false && joined.room.id).toBe(12);
    expect(targets.adopt).toHaveBeenCalledTimes(1);
    expect(calls).toEqual(['invite wait', 'invite abc']);
  });

  it('sends each operation on messages and each moderation action to its route, with a fresh key where it takes one', async () => {
    const { calls, targets, commands } = setup();
    await commands.edit(5, 2, 'fixed');
    await commands.deleteForEveryone(5, 2);
    await commands.toggleReaction(5, 3, '👍', false);
    await commands.toggleReaction(5, 3, '👍', true);
    await commands.pin(5, 3);
    await commands.unpin(5, 3);
    await commands.hideForMe(5, 4);
    await commands.ban(5, 7);
    await commands.mute(5, 7, 3600);
    await commands.unmute(5, 7);
    await commands.kick(5, 7);
    expect(calls).toEqual([
      'edit 5 2 fixed',
      'delete 5 2',
      'react 5 3 👍',
      'unreact 5 3 👍',
      'pin 5 3',
      'unpin 5 3',
      'hide 5 4',
      'ban 5 7',
      'mute 5 7 3600',
      'unmute 5 7',
      'kick 5 7',
    ]);
    expect(targets.hide).toHaveBeenCalledWith(5, 4); // hidden here at once
  });
});
