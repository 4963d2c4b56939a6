// How one attempt at the upstream product store failed, typed so the caller can decide
// whether another attempt may succeed (retryable), how long the upstream asked it to wait
// (retryAfter) and what to count. An abort is not one of these: a call whose signal
// aborts rejects with the signal's reason.

/** What went wrong:
 *  - connect: no connection was made (refused, unreachable, unknown host, TLS handshake);
 *  - reset: the connection broke before the whole answer came (reset, hang up, cut mid-body);
 *  - timeout: the attempt ran out of time (the caller's per-attempt timer makes these);
 *  - status: an answer with a status the call does not accept;
 *  - invalid: an answer that is not the wire format (not JSON, wrong shape, wrong ids);
 *  - too-large: a body over the size cap. */
export type UpstreamErrorKind = 'connect' | 'reset' | 'timeout' | 'status' | 'invalid' | 'too-large';

export interface UpstreamErrorDetails {
  /** The upstream's status, when it answered. */
  readonly status?: number;
  /** The upstream's raw Retry-After header, when it sent one. */
  readonly retryAfter?: string;
  /** Overrides the kind's default (a connect failure that no retry can fix, such as TLS). */
  readonly retryable?: boolean;
  readonly cause?: unknown;
}

/** Statuses that say the upstream (or a proxy before it) is briefly unable to answer. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  readonly status?: number;
  readonly retryAfter?: string;
  /** Whether another attempt may succeed: connection failures, timeouts, 502/503/504. */
  readonly retryable: boolean;

  constructor(
    readonly kind: UpstreamErrorKind,
    message: string,
    details: UpstreamErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    if (details.status !== undefined) this.status = details.status;
    if (details.retryAfter !== undefined) this.retryAfter = details.retryAfter;
    this.retryable = details.retryable ?? retryableByDefault(kind, details.status);
  }
}

function retryableByDefault(kind: UpstreamErrorKind, status: number | undefined): boolean {
  switch (kind) {
    case 'connect':
    case 'reset':
    case 'timeout':
      return true;
    case 'status':
      return status !== undefined && RETRYABLE_STATUSES.has(status);
    case 'invalid':
    case 'too-large':
      return false;
  }
}

/** error.type of a failed call, as the OpenTelemetry conventions name it: the status the
 *  upstream answered with, else the kind of failure; 'aborted' when the caller gave up. */
export function errorType(error: unknown, aborted: boolean): string {
  if (error instanceof UpstreamError) return error.kind === 'status' && error.status !== undefined ? String(error.status) : error.kind;
  if (aborted) return 'aborted';
  return error instanceof Error ? error.name : '_OTHER';
}
