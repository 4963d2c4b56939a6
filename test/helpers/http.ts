// Test helpers: a real HTTP client over real sockets, and an in-process app on an
// ephemeral loopback port with its log lines captured.
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type App, type AppOptions } from '../../src/app.js';
import { resolveConfig, type Config } from '../../src/config.js';
import { Logger } from '../../src/log/logger.js';

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly text: string;
  /** The body parsed as JSON (throws if it is not JSON). */
  json<T = unknown>(): T;
}

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly agent?: Agent | false;
  readonly body?: string | Buffer;
}

export function request(port: number, path: string, options: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        agent: options.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const text = body.toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json: <T>() => JSON.parse(text) as T });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A Config from the defaults with test overrides (quiet store latency by default), checked
 *  and completed as createApp does (defaults that depend on an override follow it). */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return resolveConfig({ port: 0, host: '127.0.0.1', storeLatencyMs: 0, ...overrides });
}

export interface TestApp {
  readonly app: App;
  readonly port: number;
  /** Every log line written so far, parsed (call app.logger.flush() first to see the latest). */
  logs(): Record<string, unknown>[];
  close(): Promise<void>;
}

export async function startApp(overrides: Partial<Config> = {}, options: Partial<AppOptions> = {}): Promise<TestApp> {
  const config = testConfig(overrides);
  const chunks: string[] = [];
  const logger = options.logger ?? new Logger(config.logLevel, (chunk) => chunks.push(chunk.toString()));
  const app = createApp(config, { ...options, logger });
  await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  const port = (app.server.address() as AddressInfo).port;
  return {
    app,
    port,
    logs: () => {
      app.logger.flush();
      return chunks
        .join('')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    close: async () => {
      app.stopTimers();
      app.server.closeAllConnections();
      await new Promise<void>((resolve) => app.server.close(() => resolve()));
    },
  };
}

/** Runs `body` against a fresh in-process app and always closes it. */
export async function withApp(
  body: (t: TestApp) => Promise<void>,
  overrides: Partial<Config> = {},
  options: Partial<AppOptions> = {},
): Promise<void> {
  const t = await startApp(overrides, options);
  try {
    await body(t);
  } finally {
    await t.close();
  }
}

/** Polls until cond() holds (e.g. a counter the server updates when a socket closes). */
export async function eventually(cond: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** eventually for a condition that has to ask the server (e.g. its /metrics). */
export async function eventuallyAsync(cond: () => Promise<boolean>, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
