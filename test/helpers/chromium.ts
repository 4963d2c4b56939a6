// A real headless Chromium for tests, driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: the child reads commands on fd 3 and writes replies and
// events on fd 4, each a JSON message ended by a NUL byte). Real time, unlike
// --virtual-time-budget, whose clock would make a page's rates meaningless.
// Tests skip where chromium is missing, naming the install command; in CI they fail.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { skipWithout } from './tools.js';

export const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
/** node:test's `skip` option for tests that need the browser. */
export const CHROMIUM_SKIP = skipWithout(existsSync(CHROMIUM), 'chromium', 'apt-get install -y chromium');

/** Headless, and nothing that reaches out of a closed network (QUIC, updates, sync). */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--hide-scrollbars',
  '--remote-debugging-pipe',
];

type Params = Record<string, unknown>;
interface Message {
  readonly id?: number;
  readonly method?: string;
  readonly params?: Params;
  readonly sessionId?: string;
  readonly result?: Params;
  readonly error?: { readonly message: string };
}
type Listener = (params: Params) => void;

const COMMAND_TIMEOUT_MS = 15_000;

export class Browser {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (result: Params) => void; reject: (error: Error) => void }>();
  private readonly listeners: { method: string; sessionId: string | undefined; listener: Listener }[] = [];
  private buffered = '';

  private constructor(
    private readonly proc: ChildProcess,
    private readonly input: Writable,
    output: Readable,
    private readonly profileDir: string,
  ) {
    output.setEncoding('utf8').on('data', (chunk: string) => this.receive(chunk));
    proc.once('error', (error) => {
      for (const { reject } of this.waiting.values()) reject(error);
      this.waiting.clear();
    });
    proc.once('exit', () => {
      for (const { reject } of this.waiting.values()) reject(new Error('chromium exited'));
      this.waiting.clear();
    });
  }

  static launch(): Browser {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is required when CI is set (apt-get install -y chromium)`);
    const profileDir = mkdtempSync(join(tmpdir(), 'turbina-chromium-'));
    const proc = spawn(CHROMIUM, [...CHROMIUM_FLAGS, `--user-data-dir=${profileDir}`, 'about:blank'], {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'],
    });
    return new Browser(proc, proc.stdio[3] as Writable, proc.stdio[4] as Readable, profileDir);
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let end: number;
    while ((end = this.buffered.indexOf('\0')) >= 0) {
      const message = JSON.parse(this.buffered.slice(0, end)) as Message;
      this.buffered = this.buffered.slice(end + 1);
      if (message.id !== undefined) {
        const waiter = this.waiting.get(message.id);
        this.waiting.delete(message.id);
        if (message.error !== undefined) waiter?.reject(new Error(message.error.message));
        else waiter?.resolve(message.result ?? {});
      } else if (message.method !== undefined) {
        for (const l of this.listeners) {
          if (l.method === message.method && l.sessionId === message.sessionId) l.listener(message.params ?? {});
        }
      }
    }
  }

  send(method: string, params: Params = {}, sessionId?: string): Promise<Params> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${method}: no answer from chromium within ${COMMAND_TIMEOUT_MS} ms`));
      }, COMMAND_TIMEOUT_MS);
      this.waiting.set(id, {
        resolve: (result) => (clearTimeout(timer), resolve(result)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      this.input.write(`${JSON.stringify(sessionId === undefined ? { id, method, params } : { id, method, params, sessionId })}\0`);
    });
  }

  on(method: string, sessionId: string | undefined, listener: Listener): void {
    this.listeners.push({ method, sessionId, listener });
  }

  /** A fresh tab, attached, with its network requests recorded. */
  async newPage(): Promise<Page> {
    const { targetId } = (await this.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await this.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    const page = new Page(this, sessionId);
    this.on('Network.requestWillBeSent', sessionId, (p) => page.requests.push((p['request'] as { url: string }).url));
    await page.send('Page.enable');
    await page.send('Network.enable');
    return page;
  }

  /** Browser.close, then a kill if it lingers; the profile folder goes either way. */
  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) resolve();
      else this.proc.once('exit', () => resolve());
    });
    await Promise.race([this.send('Browser.close').catch(() => undefined), sleep(2000)]);
    if (await Promise.race([exited.then(() => true), sleep(3000).then(() => false)])) {
      // exited
    } else {
      this.proc.kill('SIGKILL');
      await exited;
    }
    rmSync(this.profileDir, { recursive: true, force: true });
  }
}

export class Page {
  /** Every URL the page asked for, in order. */
  readonly requests: string[] = [];

  constructor(
    private readonly browser: Browser,
    readonly sessionId: string,
  ) {}

  send(method: string, params: Params = {}): Promise<Params> {
    return this.browser.send(method, params, this.sessionId);
  }

  /** Navigates and waits for the load event. */
  async goto(url: string): Promise<void> {
    const loaded = new Promise<void>((resolve) => this.browser.on('Page.loadEventFired', this.sessionId, () => resolve()));
    const { errorText } = (await this.send('Page.navigate', { url })) as { errorText?: string };
    if (errorText !== undefined) throw new Error(`navigating to ${url}: ${errorText}`);
    await loaded;
  }

  /** The value of a JS expression in the page (promises awaited), as JSON. */
  async evaluate<T>(expression: string): Promise<T> {
    const reply = (await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true })) as {
      result: { value?: unknown };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (reply.exceptionDetails !== undefined) throw new Error(`${expression}: ${reply.exceptionDetails.exception?.description ?? reply.exceptionDetails.text}`);
    return reply.result.value as T;
  }

  /** Polls an expression until it is truthy. */
  async until(expression: string, what: string, timeoutMs = 8000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.evaluate<boolean>(`Boolean(${expression})`))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(50);
    }
  }

  /** A width x height viewport; `mobile` also scales as a phone does. */
  async viewport(width: number, height: number, mobile = false): Promise<void> {
    await this.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile });
  }

  async colorScheme(scheme: 'light' | 'dark'): Promise<void> {
    await this.send('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: scheme }] });
  }

  async screenshot(): Promise<Buffer> {
    const { data } = (await this.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true })) as { data: string };
    return Buffer.from(data, 'base64');
  }
}
