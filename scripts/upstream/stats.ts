// What the inventory service did with each /products request, counted when the request
// arrives and its fate is decided (a client leaving during the latency does not change
// it), so `requests` is always the sum of `byOutcome`. Tests check singleflight, retries
// and the retry budget against these counts, so they count nothing else.

export type Outcome = 'ok' | 'notFound' | 'badRequest' | 'error' | 'hang' | 'garbage' | 'drip' | 'refused';

export interface StatsSnapshot {
  readonly requests: number;
  readonly byOutcome: Readonly<Record<Outcome, number>>;
  /** Requests accepted and not yet answered or abandoned (hangs included, refusals never). */
  readonly inFlight: number;
}

const zero = (): Record<Outcome, number> => ({ ok: 0, notFound: 0, badRequest: 0, error: 0, hang: 0, garbage: 0, drip: 0, refused: 0 });

export class Stats {
  private requests = 0;
  private byOutcome = zero();
  inFlight = 0;

  count(outcome: Outcome): void {
    this.requests++;
    this.byOutcome[outcome]++;
  }

  /** Zeroes the counts; inFlight is what is open now, so it stays. */
  reset(): void {
    this.requests = 0;
    this.byOutcome = zero();
  }

  snapshot(): StatsSnapshot {
    return { requests: this.requests, byOutcome: { ...this.byOutcome }, inFlight: this.inFlight };
  }
}
