// Open connections and what each is doing, so shutdown can tell a busy socket from an
// idle one without racing a client that is mid-send, and /metrics can count them.
import type { Server, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

class ConnectionState {
  inFlight = 0;
  /** When the socket last went idle (no request in flight), monotonic ms. */
  idleSince = performance.now();
  /** socket.bytesRead when it went idle: more bytes since means a request is arriving. */
  bytesReadAtIdle = 0;
}

export class ConnectionTracker {
  private readonly sockets = new Map<Socket, ConnectionState>();
  /** Connections accepted since start. */
  total = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  get active(): number {
    return this.sockets.size;
  }

  attach(server: Server): void {
    server.on('connection', (socket: Socket) => {
      this.total++;
      this.sockets.set(socket, new ConnectionState());
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  requestStarted(socket: Socket): void {
    const state = this.sockets.get(socket);
    if (state !== undefined) state.inFlight++;
  }

  requestEnded(socket: Socket): void {
    const state = this.sockets.get(socket);
    if (state === undefined) return;
    if (--state.inFlight === 0) {
      state.idleSince = this.now();
      state.bytesReadAtIdle = socket.bytesRead;
    }
  }

  /**
   * Destroys sockets that have had no request in flight, and received no byte, for at
   * least graceMs (counted from `notBefore` at the earliest). A socket whose client has
   * started sending is left alone: its request will be answered with Connection: close.
   */
  closeIdle(graceMs: number, notBefore: number): number {
    const now = this.now();
    let closed = 0;
    for (const [socket, state] of this.sockets) {
      if (state.inFlight > 0 || socket.bytesRead !== state.bytesReadAtIdle) continue;
      if (now - Math.max(state.idleSince, notBefore) < graceMs) continue;
      socket.destroy();
      closed++;
    }
    return closed;
  }

  /** The shutdown deadline: whatever is still open is cut. */
  destroyAll(): number {
    const count = this.sockets.size;
    for (const socket of this.sockets.keys()) socket.destroy();
    return count;
  }

  /** For the debug/status view: in-flight requests per open socket. */
  busy(): number {
    let busy = 0;
    for (const state of this.sockets.values()) if (state.inFlight > 0) busy++;
    return busy;
  }
}
