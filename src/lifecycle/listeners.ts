// The listening sockets. Since libuv 1.45 (Node >= 20.3) the event loop accepts at most
// one connection per listening socket per turn. A turn of a busy server takes tens of
// milliseconds (it serves every ready connection), so a burst of 1000 new connections
// waited up to 8 s in the kernel's accept queue, and the clients' first requests timed
// out. Where SO_REUSEPORT is available (Linux, Node >= 22.12), this process opens
// LISTEN_SOCKETS sockets on the port instead of one: the kernel spreads new connections
// over them and each turn accepts one from each. Connections accepted by the extra
// sockets are handed to the one http.Server ('connection' is the documented way to
// inject a socket), so timeouts, tracking and shutdown see every connection alike. Cluster
// workers do the same on the port their primary found free (cluster/primary.ts).
import type { Server as HttpServer } from 'node:http';
import { createServer as createNetServer, Server as NetServer, type Socket } from 'node:net';
import { reusePortSupported, type ReusePortListenOptions } from '../platform/node-features.js';

export interface ListenAt {
  readonly port: number;
  readonly host: string;
  readonly backlog: number;
  /** Sockets wanted; fewer where SO_REUSEPORT is unavailable. */
  readonly sockets: number;
  /** A cluster worker opening its own sockets (the primary checked the port is free and
   *  its siblings share it): no probe, and no asking the primary for its socket. */
  readonly worker?: boolean;
}

function sharedPort(at: ListenAt): ReusePortListenOptions {
  // `exclusive` makes a cluster worker bind the socket itself; elsewhere it changes nothing.
  return { port: at.port, host: at.host, backlog: at.backlog, reusePort: true, exclusive: true };
}

export class Listeners {
  /** Sockets beyond the http.Server's own, each feeding it what it accepts. */
  private readonly extra: NetServer[] = [];

  constructor(readonly server: HttpServer) {}

  /** Listening sockets open now. */
  get count(): number {
    return (this.server.listening ? 1 : 0) + this.extra.filter((s) => s.listening).length;
  }

  /** Opens the sockets. `onListening` runs once all are open; `onError` at the first failure,
   *  after closing whatever had opened (nothing is left half-listening). */
  listen(at: ListenAt, onListening: () => void, onError: (error: NodeJS.ErrnoException) => void): void {
    const sockets = reusePortSupported() ? at.sockets : 1;
    let failed = false;
    const fail = (error: NodeJS.ErrnoException): void => {
      if (failed) return;
      failed = true;
      this.close(() => onError(error));
    };
    this.server.once('error', fail);
    if (sockets === 1 && at.worker !== true) {
      this.server.listen({ port: at.port, host: at.host, backlog: at.backlog }, () => {
        this.server.off('error', fail);
        onListening();
      });
      return;
    }
    // With SO_REUSEPORT a second instance started on the same port would not fail but
    // quietly take half the connections. A plain bind first keeps that an EADDRINUSE.
    const open = (): void => {
      this.server.listen(sharedPort(at), () => {
        const port = boundPort(this.server, at.port);
        const done = (): void => {
          this.server.off('error', fail);
          onListening();
        };
        if (sockets === 1) done();
        else this.openExtra({ ...at, port }, sockets - 1, done, fail);
      });
    };
    if (at.port === 0 || at.worker === true) open();
    else probeFreePort(at.port, at.host, open, (error) => {
      this.server.off('error', fail);
      onError(error);
    });
  }

  private openExtra(at: ListenAt, count: number, done: () => void, fail: (error: NodeJS.ErrnoException) => void): void {
    let pending = count;
    for (let i = 0; i < count; i++) {
      // The options http.Server gives its own net.Server, so every socket is set up alike.
      const acceptor = createNetServer({ allowHalfOpen: true, noDelay: true }, (socket: Socket) => {
        this.server.emit('connection', socket);
      });
      this.extra.push(acceptor);
      acceptor.once('error', fail);
      acceptor.listen(sharedPort(at), () => {
        acceptor.off('error', fail);
        if (--pending === 0) done();
      });
    }
  }

  /** Stops accepting on every socket (net.Server's close: open connections stay). `done`
   *  runs once each socket has closed and every connection it accepted has ended. */
  close(done: () => void): void {
    const servers: NetServer[] = [this.server, ...this.extra];
    let pending = servers.length;
    const closed = (): void => {
      if (--pending === 0) done();
    };
    for (const server of servers) {
      // net.Server's close, not http.Server's: the latter also destroys idle keep-alive
      // sockets at once, racing clients that are sending on them right now. A socket
      // that never listened reports ERR_SERVER_NOT_RUNNING, which here means closed.
      NetServer.prototype.close.call(server, closed);
    }
  }
}

/** The TCP port a listening server is bound to (the one picked, for port 0). */
export function boundPort(server: NetServer, fallback: number): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : fallback;
}

/** Binds host:port without SO_REUSEPORT and lets go: EADDRINUSE if anything holds it.
 *  `free` gets the port (the one picked, for port 0). */
export function probeFreePort(port: number, host: string, free: (port: number) => void, taken: (error: NodeJS.ErrnoException) => void): void {
  const probe = createNetServer();
  probe.once('error', taken);
  // `exclusive`: in a cluster primary too, this is a socket of our own.
  probe.listen({ port, host, exclusive: true }, () => {
    probe.off('error', taken);
    const bound = boundPort(probe, port);
    probe.close(() => free(bound));
  });
}
