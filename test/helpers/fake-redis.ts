// A fake RESP3 server over node:net, for what a real redis-server will not do on demand:
// a reply and a push in one write, or no reply at all. It answers HELLO (RESP3), CLIENT,
// SET, EVAL and DEL; a GET as `answerGet` says (undefined: never).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';

/** A RESP3 server answering HELLO, CLIENT TRACKING, GET (through `answerGet`), SET, EVAL and DEL. */
export class FakeRedis {
  readonly server = net.createServer((socket) => this.accept(socket));
  /** Each command received, as text arguments. */
  readonly received: string[][] = [];
  /** The bytes a GET of the full key is answered with (a reply, maybe followed by pushes). */
  answerGet: (key: string) => Buffer | undefined = () => Buffer.from('_\r\n');
  private readonly sockets = new Set<net.Socket>();

  async listen(): Promise<number> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Sends a push to every connected client. */
  push(bytes: Buffer): void {
    for (const socket of this.sockets) socket.write(bytes);
  }

  commands(name: string): string[][] {
    return this.received.filter((args) => args[0]?.toUpperCase() === name);
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (let parsed = parseCommand(pending); parsed !== undefined; parsed = parseCommand(pending)) {
        pending = pending.subarray(parsed.used);
        this.received.push(parsed.args);
        const reply = this.answer(parsed.args);
        if (reply !== undefined) socket.write(reply);
      }
    });
  }

  private answer(args: readonly string[]): Buffer | undefined {
    const name = args[0]?.toUpperCase();
    if (name === 'HELLO') return Buffer.from('%1\r\n$5\r\nproto\r\n:3\r\n');
    if (name === 'GET') return this.answerGet(args[1] ?? '');
    if (name === 'CLIENT' || name === 'SET' || name === 'EVAL') return Buffer.from('+OK\r\n');
    if (name === 'DEL') return Buffer.from(':0\r\n');
    return Buffer.from('-ERR unknown command\r\n');
  }
}

/** One command (an array of bulk strings) from the front of `buffer`, or undefined if incomplete. */
function parseCommand(buffer: Buffer): { args: string[]; used: number } | undefined {
  let at = 0;
  const line = (): string | undefined => {
    const end = buffer.indexOf('\r\n', at);
    if (end < 0) return undefined;
    const text = buffer.toString('latin1', at, end);
    at = end + 2;
    return text;
  };
  const head = line();
  if (head === undefined) return undefined;
  assert.ok(head.startsWith('*'), `a command array, not ${head}`);
  const args: string[] = [];
  for (let n = Number(head.slice(1)); n > 0; n--) {
    const size = line();
    if (size === undefined) return undefined;
    const length = Number(size.slice(1));
    if (buffer.length < at + length + 2) return undefined;
    args.push(buffer.toString('latin1', at, at + length));
    at += length + 2;
  }
  return { args, used: at };
}

export function bulk(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n')]);
}

export function invalidatePush(...keys: string[]): Buffer {
  return Buffer.concat([Buffer.from(`>2\r\n$10\r\ninvalidate\r\n*${keys.length}\r\n`), ...keys.map((key) => bulk(Buffer.from(key)))]);
}

export const FLUSH_PUSH = Buffer.from('>2\r\n$10\r\ninvalidate\r\n_\r\n');

