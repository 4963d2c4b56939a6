// X-Request-Id: a sane incoming id is kept (so a trace spans proxies); otherwise one is
// generated from a per-process random prefix and a counter, which costs no randomness
// per request and never repeats within a process.
import { randomBytes } from 'node:crypto';

// Letters, digits and the punctuation UUIDs, ULIDs and trace ids use; bounded length, so
// a hostile header cannot inject into logs or grow them.
const SANE_ID = /^[A-Za-z0-9._:\-/+=@]{1,128}$/;

export class RequestIds {
  private readonly prefix = randomBytes(6).toString('base64url') + '-';
  private counter = 0;

  /** The incoming header when sane, else a fresh id. */
  next(incoming: string | string[] | undefined): string {
    if (typeof incoming === 'string' && SANE_ID.test(incoming)) return incoming;
    return this.prefix + (++this.counter).toString(36);
  }
}
