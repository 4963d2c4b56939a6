// Where the process is in its life; read on every request, written by shutdown.
export class LifecycleState {
  /** A signal arrived: /readyz answers 503 so load balancers stop sending. */
  draining = false;
  /** No longer accepting connections: every response carries Connection: close. */
  closing = false;
  private readonly drain = new AbortController();

  /** Aborts when draining starts, so long recordings (profiles) end early and answer. */
  get drainSignal(): AbortSignal {
    return this.drain.signal;
  }

  startDraining(): void {
    this.draining = true;
    this.drain.abort();
  }
}
