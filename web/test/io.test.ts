import { describe, expect, it } from 'vitest';

import { parseCsv } from '../src/io/csv';
import { makeSession, parseSession } from '../src/io/session';
import { DEFAULTS } from '../src/settings';

describe('CSV import', () => {
  it('reads t,x,y with or without a header, and ids split trajectories', () => {
    const one = parseCsv('t,x,y\n0,1,2\n0.5,1.5,2.5\n1.2,2,3\n');
    expect(one.trajectories).toHaveLength(1);
    expect(Array.from(one.trajectories![0].times)).toEqual([0, 0.5, 1.2]);
    const two = parseCsv('0,0,0,a\n1,1,1,a\n0,5,5,b\n2,6,6,b\n');
    expect(two.trajectories).toHaveLength(2);
    expect(Array.from(two.trajectories![1].states)).toEqual([5, 5, 6, 6]);
    expect(parseCsv('T,X,Y,ID\r\n0,0,0,1\r\n1,1,1,1').trajectories).toHaveLength(1);
  });

  it('names the bad line and what is wrong', () => {
    expect(parseCsv('t,x,y\n0,1,2\n0.5,abc,2\n').error).toMatch(/^line 3: x "abc" is not a finite number/);
    expect(parseCsv('0,1,2\n0,1,3\n').error).toMatch(/^line 2: t = 0 is not after t = 0 \(line 1\)/);
    expect(parseCsv('0,1\n').error).toMatch(/^line 1: expected 3 or 4 columns/);
    expect(parseCsv('time,a,b\n0,1,2').error).toMatch(/^line 1: expected a header/);
    expect(parseCsv('0,1,2\n').error).toMatch(/only one row \(line 1\)/);
    expect(parseCsv('\n\n').error).toMatch(/no data rows/);
    expect(parseCsv('t,x,y\n0,1,NaN\n').error).toMatch(/^line 2: y "NaN"/);
  });

  it('refuses absurd values with the line number', () => {
    expect(parseCsv('t,x,y\n0,1e300,2\n1,1e301,3\n').error).toMatch(/^line 2: x = 1e300 is outside ±1e\+6/);
    expect(parseCsv('t,x,y\n0,1,2\n1,1,-2e7\n').error).toMatch(/^line 3: y = -2e7 is outside/);
    expect(parseCsv('t,x,y\n0,1,2\n1e9,1,2\n').error).toMatch(/^line 3: t = 1e9 is outside/);
    expect(parseCsv('t,x,y\n0,1e5,2\n1,-1e5,3\n').trajectories).toHaveLength(1);
  });
});

describe('session import', () => {
  const good = makeSession({ ...DEFAULTS, width: 12 }, [{ id: 1, source: 'pen', points: [{ x: 0, y: 0, t: 0 }, { x: 1, y: 1, t: 20 }] }],
    { xmin: -3, xmax: 3, ymin: -2, ymax: 2 }, 'toggle', null);

  it('round-trips through JSON', () => {
    const r = parseSession(JSON.stringify(good));
    expect(r.error).toBeUndefined();
    expect(r.session).toEqual(good);
  });

  it('refuses bad files with the reason', () => {
    const cases: [unknown, RegExp][] = [
      ['{oops', /not valid JSON/],
      [42, /must be a JSON object/],
      [{ ...good, format: 'x' }, /not a session file/],
      [{ ...good, version: 2 }, /version 2 is not supported/],
      [{ ...good, settings: { ...good.settings, width: -1 } }, /settings: width/],
      [{ ...good, strokes: 'no' }, /strokes must be an array/],
      [{ ...good, strokes: [{ id: 1, source: 'pen', points: [{ x: 0, y: 'a', t: 0 }] }] }, /stroke 0, point 0/],
      [{ ...good, view: { xmin: 1, xmax: 0, ymin: 0, ymax: 1 } }, /view must have/],
      [{ ...good, model: { format: 'other' } }, /model is not/],
    ];
    for (const [doc, msg] of cases) expect(parseSession(typeof doc === 'string' ? doc : JSON.stringify(doc)).error).toMatch(msg);
  });
});
