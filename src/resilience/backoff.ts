// How long to wait before a retry: exponential backoff with "full jitter" (AWS
// Architecture Blog, "Exponential Backoff And Jitter"): a uniform draw between 0 and the
// exponential ceiling, so clients that failed together do not retry together.

/**
 * ms to wait before retry number `attempt` (0 for the first retry):
 * random() * min(capMs, baseMs * 2^attempt).
 * @param random a uniform draw in [0, 1); injectable so tests are deterministic
 */
export function fullJitter(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  if (!(Number.isInteger(attempt) && attempt >= 0)) throw new RangeError(`attempt must be an integer >= 0, not ${attempt}`);
  if (!(baseMs >= 0 && capMs >= 0 && Number.isFinite(capMs))) throw new RangeError(`baseMs and capMs must be numbers >= 0, not ${baseMs} and ${capMs}`);
  // baseMs * 2^attempt overflows to Infinity for a large attempt (0 * Infinity would be NaN).
  const ceiling = baseMs === 0 ? 0 : Math.min(capMs, baseMs * 2 ** attempt);
  return random() * ceiling;
}
