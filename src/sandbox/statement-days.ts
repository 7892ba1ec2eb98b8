import { beijingDay, beijingInstant, nextDay } from './statement-records.js';

/**
 * When a simulated provider has a day's statement: the day must be over (Beijing time), and the
 * file is made at a provider's hour of the next morning. Shared by the three simulators' statement
 * endpoints, each with its own hour and its own words for each refusal.
 */

/** `yyyy-MM-dd`, a date that exists. */
export function isDay(text: unknown): text is string {
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  return beijingDay(beijingInstant(text)) === text;
}

/** Where a request for `day`'s statement stands at `now`. */
export function statementTiming(day: string, now: Date, readyHour: number): 'future' | 'not-ready' | 'ready' {
  if (day >= beijingDay(now)) return 'future';
  return now.getTime() < beijingInstant(nextDay(day), readyHour).getTime() ? 'not-ready' : 'ready';
}

/** True when `day` is more than `months` calendar months before `now`'s Beijing day. */
export function olderThanMonths(day: string, now: Date, months: number): boolean {
  const [y, m, d] = beijingDay(now).split('-').map(Number) as [number, number, number];
  const limit = new Date(Date.UTC(y, m - 1 - months, d));
  return day < limit.toISOString().slice(0, 10);
}
