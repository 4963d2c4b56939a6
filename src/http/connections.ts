// Open connections and the requests in flight on each: shutdown tells a busy socket from
// an idle one (without racing a client that is mid-send), /metrics counts them, and a
// connection that closes under unfinished requests reports them as aborted.
import type { Server, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { RequestContext } from './context.js';

export class ConnectionState {
  /** Requests in flight on this socket, oldest first (more than one when pipelined). */
  readonly active: RequestContext[] = [];
  /** When the socket last went idle (no request in flight), monotonic ms. */
  idleSince = performance.now();
  /** socket.bytesRead when it went idle: more bytes since means a request is arriving. */
  bytesReadAtIdle = 0;
  /** The latest request on this socket: a parser error or timeout that comes while its
   *  body is still arriving belongs to a request that has been (or is being) answered. */
  last: RequestContext | undefined = undefined;
  /** The rate limiter's key for the peer, derived once per connection (middleware/rate-limit.ts). */
  clientKey: string | undefined = undefined;

  constructor(
    readonly socket: Socket,
    /** Read at connect: a closed socket no longer knows its peer. */
    readonly remote: string | undefined,
  ) {}
}

/** Where a socket keeps its state: one property load per request instead of a Map lookup. */
const STATE = Symbol('turbina.connection');
interface TrackedSocket extends Socket {
  [STATE]?: ConnectionState;
}

export class ConnectionTracker {
  private readonly sockets = new Map<Socket, ConnectionState>();
  /** Connections accepted since start. */
  total = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  get active(): number {
    return this.sockets.size;
  }

  /** Every open connection, for the /debug/pprof/goroutine report. */
  states(): IterableIterator<ConnectionState> {
    return this.sockets.values();
  }

  /** `onAbort` receives each request still in flight when its connection closes. */
  attach(server: Server, onAbort: (ctx: RequestContext) => void): void {
    server.on('connection', (socket: Socket) => {
      this.total++;
      const state = new ConnectionState(socket, socket.remoteAddress);
      this.sockets.set(socket, state);
      (socket as TrackedSocket)[STATE] = state;
      socket.once('close', () => {
        this.sockets.delete(socket);
        if (state.active.length > 0) for (const ctx of [...state.active]) onAbort(ctx);
      });
    });
  }

  /** Registers a request on its connection; the state goes on ctx.conn. */
  started(ctx: RequestContext): void {
    const state = (ctx.req.socket as TrackedSocket)[STATE];
    if (state === undefined) return;
    state.active.push(ctx);
    state.last = ctx;
    ctx.conn = state;
  }

  /** The tracked state of a socket (undefined once it has closed, or if never tracked). */
  stateOf(socket: Socket): ConnectionState | undefined {
    return (socket as TrackedSocket)[STATE];
  }

  /** `now` is the completion time when the caller has it (saves reading the clock). */
  ended(ctx: RequestContext, now: number = this.now()): void {
    const state = ctx.conn;
    if (state === undefined) return;
    const active = state.active;
    // One request at a time is the rule (pop is cheaper than shift); pipelining the exception.
    if (active.length === 1 && active[0] === ctx) active.pop();
    else if (active.includes(ctx)) active.splice(active.indexOf(ctx), 1);
    if (active.length === 0) {
      state.idleSince = now;
      state.bytesReadAtIdle = state.socket.bytesRead;
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
      if (state.active.length > 0 || socket.bytesRead !== state.bytesReadAtIdle) continue;
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
}
