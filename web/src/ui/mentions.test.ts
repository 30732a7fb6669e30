import { describe, expect, it } from 'vitest';
import type { MemberDto } from '../sdk/types';
import { mentionsIn, suggestMentions } from './Composer';
import { highlight } from './SearchPanel';

const member = (user_id: number, username: string, display_name = username): MemberDto => ({ user_id, username, display_name, role: 'member', joined_at: 0, read_seq: 0 });
const members = [member(1, 'alice', 'Alice'), member(2, 'bob', 'Bob Stone'), member(3, 'bobby'), member(4, '민수', '김민수')];

describe('mentions in the composer', () => {
  it('suggests members by username or display name prefix (not me), then @room where allowed', () => {
    expect(suggestMentions(members, 'bo', 1, true).map((s) => (s.kind === 'room' ? '@room' : s.member.username))).toEqual(['bob', 'bobby']);
    expect(suggestMentions(members, 'Bob', 1, false).map((s) => (s.kind === 'member' ? s.member.user_id : 0))).toEqual([2, 3]);
    expect(suggestMentions(members, '', 1, true).map((s) => (s.kind === 'room' ? '@room' : s.member.username))).toEqual(['bob', 'bobby', '민수', '@room']);
    expect(suggestMentions(members, '김', 1, false).map((s) => (s.kind === 'member' ? s.member.username : ''))).toEqual(['민수']);
    expect(suggestMentions(members, 'ro', 1, false)).toEqual([]);
  });

  it('turns every @username of a member into a structured mention (punctuation after it, Hangul names), @room only where allowed', () => {
    expect(mentionsIn('@bob, @bobby! and @민수 — see @alice', members, 1, true)).toEqual({ mentions: [2, 3, 4], mentionRoom: false });
    expect(mentionsIn('mail bob@example.com or @nobody', members, 1, true)).toEqual({ mentions: [], mentionRoom: false });
    expect(mentionsIn('@room lunch?', members, 1, true)).toEqual({ mentions: [], mentionRoom: true });
    expect(mentionsIn('@room lunch?', members, 1, false)).toEqual({ mentions: [], mentionRoom: false });
  });
});

describe('search snippets', () => {
  it('marks the [start, length] ranges in UTF-16 units and keeps the rest as text', () => {
    const parts = highlight('내일 회의는 10시', [[3, 2]]);
    expect(parts[0]).toBe('내일 ');
    expect((parts[1] as { props: { children: string } }).props.children).toBe('회의');
    expect(parts[2]).toBe('는 10시');
    expect(highlight('no match', [])).toEqual(['no match']);
  });
});
