/** Time source. Services take a Clock so tests can move time without sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export const CLOCK = Symbol('gatehouse.clock');

export function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
