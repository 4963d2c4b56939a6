// The bound on concurrent exports (EXPORT_MAX_CONCURRENT) and what it did, for /metrics.
// Each export costs the event loop a catalog's worth of serialising and the kernel up to
// a socket send buffer of bytes, so only so many run at once; the others are told to
// come back later (503 with Retry-After).

export interface ExportStats {
  /** EXPORT_MAX_CONCURRENT (summed over workers in cluster mode). */
  readonly maxConcurrent: number;
  /** Exports streaming now (from the head until the last byte is handed to the socket). */
  readonly active: number;
  /** Exports refused with 503 because every slot was taken. */
  readonly rejected: number;
  /** Exports cut because the client took nothing for EXPORT_IDLE_TIMEOUT_MS. */
  readonly idleTimeouts: number;
}

export class ExportSlots {
  private active = 0;
  private rejected = 0;
  private idleTimeouts = 0;

  constructor(readonly max: number) {}

  /** Takes a slot; false (counted as rejected) when all are taken. */
  tryAcquire(): boolean {
    if (this.active >= this.max) {
      this.rejected++;
      return false;
    }
    this.active++;
    return true;
  }

  /** Gives back a slot from tryAcquire(); call exactly once. */
  release(): void {
    this.active--;
  }

  idleTimedOut(): void {
    this.idleTimeouts++;
  }

  stats(): ExportStats {
    return { maxConcurrent: this.max, active: this.active, rejected: this.rejected, idleTimeouts: this.idleTimeouts };
  }
}
