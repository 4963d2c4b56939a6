// One pipelined connection to Redis. Commands issued in the same turn of the event loop
// leave in one socket write (setImmediate, not nextTick: the requests read from many
// sockets in one poll phase share it) and their replies are matched in order; a lost connection fails everything pending
// at once and is redialled with backoff, while send() fails fast (a cache must fall back to
// its store, not wait for Redis to come back).
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { encodeCommand, RedisError, RespParser, RespProtocolError, RespPush, type RespValue } from './resp.js';
import { parseRedisUrl, type RedisTarget } from './redis-url.js';

export type RedisState = 'connecting' | 'ready' | 'down' | 'closed';
export type RedisArg = string | Buffer | number;

export interface RedisClientOptions {
  /** `redis://[user:pass@]host:port/db` or `rediss://` for TLS, or its parsed form. */
  readonly url: string | RedisTarget;
  /** Commands waiting or in flight; beyond it send() rejects at once. */
  readonly maxQueue: number;
  /** A command without a reply this long rejects, and its connection is dropped (later replies would be mismatched). */
  readonly commandTimeoutMs: number;
  /** The longest bulk string accepted from the server. */
  readonly maxBulkBytes: number;
  /** Reconnect delays: full jitter over min(reconnectMaxMs, reconnectBaseMs * 2^attempt). */
  readonly reconnectBaseMs: number;
  readonly reconnectMaxMs: number;
  /** TCP (and TLS) connect limit; commandTimeoutMs when absent. */
  readonly connectTimeoutMs?: number;
  /** RESP3 pushes (invalidations, pub/sub messages); never a command's reply. */
  readonly onPush?: (push: RespPush) => void;
  /** Every state change, with why (for logs). */
  readonly onState?: (state: RedisState, reason: string) => void;
}

export type RedisFailure = 'queue-full' | 'down' | 'timeout' | 'connection-lost' | 'closed';

/** send() failed without a reply from the server (a server's error reply is a RedisError instead). */
export class RedisClientError extends Error {
  constructor(readonly kind: RedisFailure, message: string) {
    super(message);
    this.name = 'RedisClientError';
  }
}

export interface RedisClientStats {
  readonly state: RedisState;
  readonly protocol: 2 | 3 | null;
  /** Commands written to the server. */
  readonly sent: number;
  /** Replies to commands, errors included. */
  readonly replies: number;
  /** Server error replies. */
  readonly errors: number;
  readonly timeouts: number;
  readonly rejectedQueueFull: number;
  readonly rejectedDown: number;
  /** Connections made ready after a drop. */
  readonly reconnects: number;
  /** Commands waiting or in flight. */
  readonly pending: number;
}

/** What a reply answers: a caller's command or a step of the connection's handshake. */
const enum Step {
  Command,
  Hello,
  Auth,
  Select,
}

/** One command awaiting its reply; deadlines are on performance.now()'s clock. */
interface Pending {
  readonly step: Step;
  readonly deadline: number;
  readonly resolve: (value: RespValue) => void;
  readonly reject: (error: Error) => void;
  /** The encoded command while it waits for the connection to be ready. */
  readonly bytes: Buffer | undefined;
}

// A promise's settle functions, caught by one shared executor instead of a closure per command.
let caughtResolve: (value: RespValue) => void = () => {};
let caughtReject: (error: Error) => void = () => {};
function catchSettlers(resolve: (value: RespValue) => void, reject: (error: Error) => void): void {
  caughtResolve = resolve;
  caughtReject = reject;
}
function ignore(): void {}

/** A FIFO that pops from an index instead of shifting the array. */
class Fifo {
  private items: (Pending | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: Pending): void {
    this.items.push(item);
  }

  peek(): Pending | undefined {
    return this.items[this.head];
  }

  shift(): Pending | undefined {
    const item = this.items[this.head];
    if (item === undefined) return undefined;
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Empties the queue, returning what it held in order. */
  drain(): Pending[] {
    const items = this.items.slice(this.head) as Pending[];
    this.items = [];
    this.head = 0;
    return items;
  }
}

export class RedisClient {
  private readonly target: RedisTarget;
  private readonly options: RedisClientOptions;
  private stateNow: RedisState = 'connecting';
  private protocolNow: 2 | 3 | null = null;
  private socket: net.Socket | undefined;
  /** Written, awaiting replies in order (handshake steps included). */
  private readonly inFlight = new Fifo();
  /** Issued before the connection was ready, not written yet. */
  private readonly waiting = new Fifo();
  /** Commands of this turn of the event loop, written together in its check phase. */
  private batch: Buffer[] = [];
  private flushScheduled = false;
  private readonly flushBound = (): void => this.flush();
  private deadlineTimer: NodeJS.Timeout | undefined;
  private readonly checkDeadlinesBound = (): void => this.checkDeadlines();
  private connectTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** Failed connection attempts since the last ready one. */
  private attempts = 0;
  private everReady = false;
  /** Caller commands waiting or in flight (handshake steps excluded). */
  private pendingCount = 0;
  private closing: Promise<void> | undefined;
  private counters = { sent: 0, replies: 0, errors: 0, timeouts: 0, rejectedQueueFull: 0, rejectedDown: 0, reconnects: 0 };

  constructor(options: RedisClientOptions) {
    this.options = options;
    this.target = typeof options.url === 'string' ? parseRedisUrl(options.url) : options.url;
    this.connect();
  }

  get state(): RedisState {
    return this.stateNow;
  }

  /** The protocol the server speaks with us: 3 after HELLO 3, 2 for a RESP2-only server; null before the first handshake. */
  get protocol(): 2 | 3 | null {
    return this.protocolNow;
  }

  stats(): RedisClientStats {
    return { state: this.stateNow, protocol: this.protocolNow, ...this.counters, pending: this.pendingCount };
  }

  /**
   * Sends one command; resolves with its reply, rejects with the server's RedisError, or with a
   * RedisClientError when there was no reply (queue full, down, timed out, connection lost, closed).
   */
  send(args: readonly RedisArg[]): Promise<RespValue> {
    const state = this.stateNow;
    // Before the first handshake commands wait for it; after a drop they fail until a reconnect is ready.
    if (state !== 'ready' && (state !== 'connecting' || this.everReady)) {
      if (state === 'closed') return Promise.reject(new RedisClientError('closed', 'Redis client is closed'));
      this.counters.rejectedDown++;
      return Promise.reject(new RedisClientError('down', 'Redis is not connected'));
    }
    if (this.pendingCount >= this.options.maxQueue) {
      this.counters.rejectedQueueFull++;
      return Promise.reject(new RedisClientError('queue-full', `Redis command queue is full (${this.options.maxQueue} pending)`));
    }
    const bytes = encodeCommand(args);
    const promise = new Promise<RespValue>(catchSettlers);
    const deadline = performance.now() + this.options.commandTimeoutMs;
    this.pendingCount++;
    if (state === 'ready') {
      this.inFlight.push({ step: Step.Command, deadline, resolve: caughtResolve, reject: caughtReject, bytes: undefined });
      this.queueWrite(bytes);
    } else {
      this.waiting.push({ step: Step.Command, deadline, resolve: caughtResolve, reject: caughtReject, bytes });
    }
    if (this.deadlineTimer === undefined) this.armDeadline(deadline);
    return promise;
  }

  /** Fails what is pending, stops reconnecting; resolves once the socket is closed. */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.setState('closed', 'closed by the application');
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.connectTimer);
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    this.failAll(new RedisClientError('closed', 'Redis client is closed'));
    if (socket === undefined || socket.closed) {
      this.closing = Promise.resolve();
    } else {
      this.closing = new Promise((resolve) => socket.once('close', () => resolve()));
      socket.destroy();
    }
    return this.closing;
  }

  private connect(): void {
    if (this.stateNow === 'closed') return;
    this.setState('connecting', this.everReady ? 'reconnecting' : 'connecting');
    void this.openSocket().then(
      (socket) => this.attach(socket),
      (error: unknown) => this.drop(`cannot connect: ${messageOf(error)}`),
    );
  }

  private async openSocket(): Promise<net.Socket> {
    const { host, port } = this.target;
    if (!this.target.tls) return net.connect({ host, port, noDelay: true });
    // TLS is loaded only for rediss:// URLs.
    const tls = await import('node:tls');
    return tls.connect({ host, port, servername: net.isIP(host) === 0 ? host : '' });
  }

  private attach(socket: net.Socket): void {
    if (this.stateNow === 'closed') {
      socket.destroy();
      return;
    }
    this.socket = socket;
    // The rest of a chunk that dropped this connection is not for anyone: each value would
    // otherwise find nothing in flight and drop (and redial) again.
    const parser = new RespParser({ maxBulkBytes: this.options.maxBulkBytes }, (value) => {
      if (this.socket === socket) this.onReply(value);
    });
    const connectTimeoutMs = this.options.connectTimeoutMs ?? this.options.commandTimeoutMs;
    this.connectTimer = setTimeout(() => {
      if (this.socket === socket) this.drop(`connect timed out after ${connectTimeoutMs} ms`);
    }, connectTimeoutMs).unref();
    socket.setNoDelay(true);
    socket.once(this.target.tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(this.connectTimer);
      if (this.socket === socket) this.handshake();
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      try {
        parser.feed(chunk);
      } catch (error) {
        if (this.socket === socket) this.drop(error instanceof RespProtocolError ? `protocol error: ${error.message}` : messageOf(error));
      }
    });
    socket.on('error', (error) => {
      if (this.socket === socket) this.drop(error.message);
    });
    socket.on('close', () => {
      if (this.socket === socket) this.drop('connection closed by the server');
    });
  }

  /** HELLO 3 (with AUTH when there are credentials); a RESP2-only server gets AUTH and RESP2 instead. */
  private handshake(): void {
    const { username, password } = this.target;
    const hello: RedisArg[] = ['HELLO', 3];
    if (password !== undefined) hello.push('AUTH', username ?? 'default', password);
    this.writeStep(Step.Hello, hello);
  }

  private writeStep(step: Step, args: readonly RedisArg[]): void {
    this.inFlight.push({ step, deadline: performance.now() + this.options.commandTimeoutMs, resolve: ignore, reject: ignore, bytes: undefined });
    this.socket?.write(encodeCommand(args));
    if (this.deadlineTimer === undefined) this.armDeadline(performance.now() + this.options.commandTimeoutMs);
  }

  private onHandshakeReply(step: Step, value: RespValue): void {
    const { username, password, db } = this.target;
    if (step === Step.Hello) {
      if (value instanceof RedisError) {
        if (!isUnknownHello(value)) return this.drop(`HELLO failed: ${value.message}`);
        this.protocolNow = 2;
        if (password !== undefined) return this.writeStep(Step.Auth, username === undefined ? ['AUTH', password] : ['AUTH', username, password]);
      } else {
        this.protocolNow = 3;
      }
    } else if (value instanceof RedisError) {
      return this.drop(`${step === Step.Auth ? 'AUTH' : 'SELECT'} failed: ${value.message}`);
    }
    if (step !== Step.Select && db !== 0) return this.writeStep(Step.Select, ['SELECT', db]);
    this.becomeReady();
  }

  private becomeReady(): void {
    if (this.everReady) this.counters.reconnects++;
    this.everReady = true;
    this.setState('ready', `connected to ${this.target.host}:${this.target.port} (RESP${this.protocolNow ?? 2})`);
    for (const pending of this.waiting.drain()) {
      this.inFlight.push(pending);
      if (pending.bytes !== undefined) this.queueWrite(pending.bytes);
    }
  }

  private onReply(value: RespValue): void {
    if (value instanceof RespPush) {
      this.options.onPush?.(value);
      return;
    }
    const pending = this.inFlight.shift();
    if (pending === undefined) {
      this.drop('a reply arrived for no command');
      return;
    }
    if (pending.step !== Step.Command) {
      this.onHandshakeReply(pending.step, value);
      return;
    }
    this.pendingCount--;
    this.counters.replies++;
    // A connection that answers a command has proven itself: the backoff starts over. (A
    // server that completes the handshake and then hangs up keeps it growing.)
    this.attempts = 0;
    if (value instanceof RedisError) {
      this.counters.errors++;
      pending.reject(value);
    } else {
      pending.resolve(value);
    }
  }

  /** Collects this turn's commands for one write. */
  private queueWrite(bytes: Buffer): void {
    this.batch.push(bytes);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushBound);
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    this.counters.sent += batch.length;
    this.socket?.write(batch.length === 1 ? (batch[0] as Buffer) : Buffer.concat(batch));
  }

  private armDeadline(deadline: number): void {
    const delay = Math.max(1, Math.ceil(deadline - performance.now()));
    this.deadlineTimer = setTimeout(this.checkDeadlinesBound, delay).unref();
  }

  /** One timer per client: commands time out oldest first, since deadlines grow in queue order. */
  private checkDeadlines(): void {
    this.deadlineTimer = undefined;
    const now = performance.now();
    for (let head = this.waiting.peek(); head !== undefined && head.deadline <= now; head = this.waiting.peek()) {
      this.waiting.shift();
      this.pendingCount--;
      this.counters.timeouts++;
      head.reject(this.timeoutError());
    }
    const oldest = this.inFlight.peek();
    if (oldest !== undefined && oldest.deadline <= now) {
      // A reply this late means the connection is stuck; later replies would answer the wrong commands.
      this.inFlight.shift();
      if (oldest.step === Step.Command) {
        this.pendingCount--;
        this.counters.timeouts++;
        oldest.reject(this.timeoutError());
      }
      this.drop(`no reply within ${this.options.commandTimeoutMs} ms`);
      return;
    }
    const next = Math.min(this.waiting.peek()?.deadline ?? Infinity, oldest?.deadline ?? Infinity);
    if (next !== Infinity) this.armDeadline(next);
  }

  private timeoutError(): RedisClientError {
    return new RedisClientError('timeout', `Redis command timed out after ${this.options.commandTimeoutMs} ms`);
  }

  /** Drops the connection: everything pending fails now, then a reconnect after a backoff. */
  private drop(reason: string): void {
    if (this.stateNow === 'closed') return;
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
    clearTimeout(this.connectTimer);
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.batch = [];
    this.failAll(new RedisClientError('connection-lost', `Redis connection lost: ${reason}`));
    this.setState('down', reason);
    const ceiling = Math.min(this.options.reconnectMaxMs, this.options.reconnectBaseMs * 2 ** Math.min(this.attempts, 30));
    this.attempts++;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connect(), Math.random() * ceiling).unref();
  }

  private failAll(error: RedisClientError): void {
    this.pendingCount = 0;
    for (const pending of this.inFlight.drain()) pending.reject(error);
    for (const pending of this.waiting.drain()) pending.reject(error);
  }

  private setState(state: RedisState, reason: string): void {
    this.stateNow = state;
    this.options.onState?.(state, reason);
  }
}

/** A server before Redis 6 does not know HELLO; NOPROTO is a server without RESP3. */
function isUnknownHello(error: RedisError): boolean {
  return error.code === 'NOPROTO' || (error.code === 'ERR' && /unknown command/i.test(error.message));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
