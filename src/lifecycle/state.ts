// Where the process is in its life; read on every request, written by shutdown.
export class LifecycleState {
  /** A signal arrived: /readyz answers 503 so load balancers stop sending. */
  draining = false;
  /** No longer accepting connections: every response carries Connection: close. */
  closing = false;
}
