// The notice slot's list: a newer notice shows, the older ones stay listed under "+N more", none is lost silently.
import { describe, expect, it } from 'vitest';

import { MAX_NOTICES, moreLabel, noticeText, NoticeStack } from '../src/ui/notices';

const texts = (s: NoticeStack<string>) => {
  const v = s.view();
  return v && { shown: noticeText(v.shown), earlier: v.earlier.map(noticeText), more: moreLabel(v) };
};

describe('NoticeStack', () => {
  it('shows nothing until a notice comes', () => {
    expect(new NoticeStack().view()).toBeNull();
  });

  it('shows the newest and lists the older ones, newest first, with their count', () => {
    const s = new NoticeStack<string>();
    s.add('first');
    expect(texts(s)).toEqual({ shown: 'first', earlier: [], more: '' });
    s.add('second');
    s.add('third');
    expect(texts(s)).toEqual({ shown: 'third', earlier: ['second', 'first'], more: '+2 more notices' });
  });

  it('says "+1 more notice" for one', () => {
    const s = new NoticeStack<string>();
    s.add('a');
    s.add('b');
    expect(texts(s)!.more).toBe('+1 more notice');
  });

  it('the same text again is one notice, counted, moved to the newest, with its newest action', () => {
    const s = new NoticeStack<string>();
    s.add('layer failed', { action: 'old' });
    s.add('other');
    s.add('layer failed', { action: 'new' });
    expect(texts(s)).toEqual({ shown: 'layer failed (2 times)', earlier: ['other'], more: '+1 more notice' });
    expect(s.view()!.shown.action).toBe('new');
  });

  it("taking the shown notice's action removes it only: the next one shows", () => {
    const s = new NoticeStack<string>();
    s.add('a');
    s.add('b', { action: 'restore' });
    s.taken(s.view()!.shown);
    expect(texts(s)).toEqual({ shown: 'a', earlier: [], more: '' });
    s.taken(s.view()!.shown);
    expect(s.view()).toBeNull();
  });

  it('Dismiss removes every notice but a fatal one, which stays shown before newer ones', () => {
    const s = new NoticeStack<string>();
    s.add('before');
    s.add('engine could not start', { fatal: true });
    s.add('after');
    expect(texts(s)).toEqual({ shown: 'engine could not start', earlier: ['after', 'before'], more: '+2 more notices' });
    s.dismiss();
    expect(texts(s)).toEqual({ shown: 'engine could not start', earlier: [], more: '' });
    expect(s.view()!.shown.fatal).toBe(true);
  });

  it('a newer notice with the same action key takes the older ones\' actions (they named what is gone); retract takes all', () => {
    const s = new NoticeStack<string>();
    s.add('diverged at 120', { action: 'restore 100', actionKey: 'restore' });
    s.add('layer failed', { action: 'retry' });
    s.add('diverged at 340', { action: 'restore 300', actionKey: 'restore' });
    expect(s.view()!.shown.action).toBe('restore 300');
    s.taken(s.view()!.shown);
    expect(texts(s)).toEqual({ shown: 'layer failed', earlier: ['diverged at 120'], more: '+1 more notice' });
    s.taken(s.view()!.shown);
    expect(s.view()!.shown.text).toBe('diverged at 120');
    expect(s.view()!.shown.action).toBeUndefined();  // its checkpoint is gone: no button naming iteration 100
    s.add('failed, no checkpoint', { actionKey: 'restore' });
    s.add('diverged again', { action: 'restore 500', actionKey: 'restore' });
    s.add('other', { action: 'retry' });
    s.retract('restore');  // Train or Reset: the checkpoint moves on
    const all = [s.view()!.shown, ...s.view()!.earlier];
    expect(all.map((n) => [n.text, n.action])).toEqual([['other', 'retry'], ['diverged again', undefined],
      ['failed, no checkpoint', undefined], ['diverged at 120', undefined]]);
  });

  it('withdraw takes the notices of a key away altogether (their model was replaced); the others stay', () => {
    const s = new NoticeStack<string>();
    s.add('diverged at 120', { action: 'restore 100', actionKey: 'restore' });
    s.add('layer failed', { action: 'retry' });
    s.add('failed, no checkpoint', { actionKey: 'restore' });
    expect(s.withdraw('restore')).toBe(true);
    expect(texts(s)).toEqual({ shown: 'layer failed', earlier: [], more: '' });
    expect(s.withdraw('restore')).toBe(false);
  });

  it(`keeps the newest ${MAX_NOTICES} and counts the older ones dropped`, () => {
    const s = new NoticeStack<string>();
    for (let i = 0; i < MAX_NOTICES + 5; i++) s.add(`error ${i}`);
    const v = s.view()!;
    expect(v.shown.text).toBe(`error ${MAX_NOTICES + 4}`);
    expect(v.earlier).toHaveLength(MAX_NOTICES - 1);
    expect(v.earlier[v.earlier.length - 1].text).toBe('error 5');
    expect(v.dropped).toBe(5);
    expect(moreLabel(v)).toBe(`+${MAX_NOTICES + 4} more notices`);
    s.dismiss();
    expect(s.view()).toBeNull();
  });
});
