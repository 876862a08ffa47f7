import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../src/queries/_input.js';
import {
  instantToLocalTime,
  isTimeZone,
  localTimeToInstant,
  resolveLocalTime,
  utcOffsetAt,
} from '../src/queries/publishing/timezone.js';

// Local time + IANA zone -> instant, around the two DST changes of Europe/Berlin in 2026 and in a
// zone with a quarter-hour offset. Pure: no database, no clock.

describe('localTimeToInstant', () => {
  it('maps ordinary local times with the offset of that date', () => {
    expect(localTimeToInstant('2026-12-01T07:00', 'Europe/Berlin').toISOString()).toBe('2026-12-01T06:00:00.000Z');
    expect(localTimeToInstant('2026-07-01T07:00', 'Europe/Berlin').toISOString()).toBe('2026-07-01T05:00:00.000Z');
    expect(localTimeToInstant('2026-12-01T07:00', 'Asia/Kathmandu').toISOString()).toBe('2026-12-01T01:15:00.000Z');
    expect(localTimeToInstant('2026-12-01T00:10', 'Asia/Kathmandu').toISOString()).toBe('2026-11-30T18:25:00.000Z');
    expect(localTimeToInstant('2026-12-01T07:00:30.250', 'UTC').toISOString()).toBe('2026-12-01T07:00:30.250Z');
  });

  it('refuses a local time the spring-forward skips, naming the field and both offsets', () => {
    // Berlin, 2026-03-29: 02:00 CET becomes 03:00 CEST.
    expect(resolveLocalTime('2026-03-29T02:30', 'Europe/Berlin')).toMatchObject({ kind: 'gap', offsetBefore: '+01:00', offsetAfter: '+02:00' });
    let err: unknown;
    try {
      localTimeToInstant('2026-03-29T02:30', 'Europe/Berlin', { fn: 'schedulePost' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).issues).toEqual([
      { field: 'at', reason: expect.stringMatching(/^2026-03-29T02:30 does not exist in Europe\/Berlin.*\+01:00 to \+02:00/) },
    ]);
    expect((err as Error).message).toMatch(/^schedulePost: at: /);
    // The minutes either side of the gap exist.
    expect(localTimeToInstant('2026-03-29T01:59', 'Europe/Berlin').toISOString()).toBe('2026-03-29T00:59:00.000Z');
    expect(localTimeToInstant('2026-03-29T03:00', 'Europe/Berlin').toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(() => localTimeToInstant('2026-03-29T02:00', 'Europe/Berlin')).toThrow(/does not exist/);
  });

  it('takes the earlier instant of a fall-back hour unless told otherwise', () => {
    // Berlin, 2026-10-25: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice.
    const r = resolveLocalTime('2026-10-25T02:30', 'Europe/Berlin');
    expect(r.kind).toBe('ambiguous');
    expect(r.instants.map((d) => d.toISOString())).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z']);
    expect(localTimeToInstant('2026-10-25T02:30', 'Europe/Berlin').toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(localTimeToInstant('2026-10-25T02:30', 'Europe/Berlin', { fold: 'earlier' }).toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(localTimeToInstant('2026-10-25T02:30', 'Europe/Berlin', { fold: 'later' }).toISOString()).toBe('2026-10-25T01:30:00.000Z');
    // Outside the repeated hour there is one answer, whatever the fold.
    expect(localTimeToInstant('2026-10-25T03:00', 'Europe/Berlin', { fold: 'earlier' }).toISOString()).toBe('2026-10-25T02:00:00.000Z');
    expect(localTimeToInstant('2026-10-25T01:59', 'Europe/Berlin', { fold: 'later' }).toISOString()).toBe('2026-10-24T23:59:00.000Z');
  });

  it('round-trips every quarter hour of both change days and of a +05:45 day', () => {
    for (const [day, zone] of [
      ['2026-03-29', 'Europe/Berlin'],
      ['2026-10-25', 'Europe/Berlin'],
      ['2026-12-01', 'Asia/Kathmandu'],
    ] as const) {
      let gaps = 0;
      let folds = 0;
      for (let q = 0; q < 96; q++) {
        const local = `${day}T${String(Math.floor(q / 4)).padStart(2, '0')}:${String((q % 4) * 15).padStart(2, '0')}:00`;
        const r = resolveLocalTime(local, zone);
        if (r.kind === 'gap') gaps++;
        if (r.kind === 'ambiguous') folds++;
        for (const instant of r.instants) expect(instantToLocalTime(instant, zone)).toBe(local);
      }
      expect([day, gaps, folds]).toEqual(
        day === '2026-03-29' ? [day, 4, 0] : day === '2026-10-25' ? [day, 0, 4] : [day, 0, 0],
      );
    }
    expect(utcOffsetAt(new Date('2026-12-01T00:00:00Z'), 'Asia/Kathmandu')).toBe('+05:45');
    expect(utcOffsetAt(new Date('2026-10-25T00:59:59Z'), 'Europe/Berlin')).toBe('+02:00');
    expect(utcOffsetAt(new Date('2026-10-25T01:00:00Z'), 'Europe/Berlin')).toBe('+01:00');
  });

  it('names the field and the reason for bad input', () => {
    expect(() => localTimeToInstant('2026-12-01T07:00', 'Mars/Olympus')).toThrow(/timeZone: "Mars\/Olympus" is not an IANA time zone/);
    expect(() => localTimeToInstant('2026-12-01T07:00', '+01:00')).toThrow(/timeZone: "\+01:00" is not an IANA time zone/);
    expect(() => localTimeToInstant('2026-12-01T07:00Z', 'UTC')).toThrow(/at: "2026-12-01T07:00Z" is not a local date and time/);
    expect(() => localTimeToInstant('2026-02-30T07:00', 'UTC')).toThrow(/at: "2026-02-30T07:00" is not a valid date and time/);
    expect(() => localTimeToInstant('2026-12-01T24:00', 'UTC')).toThrow(/is not a valid date and time/);
    expect(isTimeZone('Asia/Kathmandu')).toBe(true);
    expect(isTimeZone('Asia/Nowhere')).toBe(false);
  });
});
