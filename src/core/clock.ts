/** The only way core logic learns the time, so tests can drive it with a fake clock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
