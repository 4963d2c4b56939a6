// The /debug/pprof routes: an index, CPU and heap profiles in pprof format (what
// `go tool pprof` reads) or V8's own JSON, a heap snapshot, and the runtime report.
// Who may reach them is the debugAccess middleware's job (src/middleware/debug-access.ts),
// which app.ts installs with these routes; none of this touches the request hot path.
import { promisify } from 'node:util';
import { getHeapSnapshot } from 'node:v8';
import { gzip } from 'node:zlib';
import type { RequestContext } from '../http/context.js';
import { HttpError } from '../http/http-error.js';
import { encodeBytes, NO_STORE } from '../http/encoded.js';
import type { Responder } from '../http/responder.js';
import type { Handler, Router } from '../http/router.js';
import { int, oneOf } from '../http/validation/fields.js';
import { query } from '../http/validation/query-schema.js';
import { cpuProfileToPprof } from '../observability/pprof/cpu-profile.js';
import { heapProfileToPprof } from '../observability/pprof/heap-profile.js';
import { recordCpuProfile, sampleHeap } from '../observability/pprof/inspector.js';
import { runtimeReport, type RuntimeSources } from '../observability/pprof/runtime-report.js';
import { debugIndexHtml } from './debug-index.js';

const gzipAsync = promisify(gzip);

const MAX_PROFILE_SECONDS = 300;
const cpuQuery = query({
  seconds: int({ min: 1, max: MAX_PROFILE_SECONDS, default: 30 }),
  format: oneOf(['pprof', 'cpuprofile'], { default: 'pprof' }),
});
const heapQuery = query({
  seconds: int({ min: 1, max: MAX_PROFILE_SECONDS, default: 5 }),
  format: oneOf(['pprof', 'heapprofile', 'heapsnapshot'], { default: 'pprof' }),
});
/** V8's default CPU sampling interval (1 kHz). */
const CPU_INTERVAL_US = 1000;
/** V8's default heap sampling interval: about one sample per 32 KiB allocated. */
const HEAP_INTERVAL_BYTES = 32 * 1024;

export type DebugDeps = RuntimeSources & {
  /** Aborts when a shutdown begins. */
  readonly drainSignal: AbortSignal;
  readonly respond: Responder;
};

/** One recording of a kind at a time: a second gets 409 instead of a mixed-up profile. */
class Busy {
  private held = false;

  async run<T>(what: string, body: () => Promise<T>): Promise<T> {
    if (this.held) throw new HttpError(409, `a ${what} is already being recorded; try again when it is done`);
    this.held = true;
    try {
      return await body();
    } finally {
      this.held = false;
    }
  }
}

/** Fires when the client disconnects (the recording is dropped) or a shutdown begins
 *  (the recording so far is sent, so a profile never holds up the drain). */
function recordingStop(ctx: RequestContext, drain: AbortSignal): AbortSignal {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  // A client that left sends FIN; the server keeps half-closed sockets writable (app.ts),
  // so 'end' is the first sign of it, as a Go handler's context ends at the client's EOF.
  const socket = ctx.req.socket;
  if (drain.aborted || socket.readableEnded) controller.abort();
  else drain.addEventListener('abort', stop, { once: true });
  socket.once('end', stop);
  ctx.res.once('close', stop);
  // The drain signal lives as long as the process, the socket as long as the connection:
  // leave no listener per profile on either.
  const release = (): void => {
    drain.removeEventListener('abort', stop);
    socket.off('end', stop);
  };
  controller.signal.addEventListener('abort', release, { once: true });
  ctx.res.once('close', release);
  return controller.signal;
}

function attachment(filename: string): readonly string[] {
  return ['content-disposition', `attachment; filename="${filename}"`, 'x-content-type-options', 'nosniff', ...NO_STORE];
}

const HEAD_OK = encodeBytes(200, 'application/octet-stream', Buffer.alloc(0));

// Per process, not per app: V8 has one heap sampler per isolate (a second start fails,
// any stop ends it for every session), and two CPU profiles at once distort each other.
const cpu = new Busy();
const heap = new Busy();

export function registerDebugRoutes(router: Router, deps: DebugDeps): void {
  const { respond } = deps;
  const sendPprof = async (ctx: RequestContext, filename: string, profile: Uint8Array): Promise<void> => {
    await respond.encoded(ctx, encodeBytes(200, 'application/octet-stream', await gzipAsync(profile)), attachment(filename));
  };
  const sendJsonFile = (ctx: RequestContext, filename: string, value: unknown): void | Promise<void> =>
    respond.encoded(ctx, encodeBytes(200, 'application/json', Buffer.from(JSON.stringify(value))), attachment(filename));
  const index: Handler = (ctx) =>
    respond.encoded(ctx, encodeBytes(200, 'text/html; charset=utf-8', Buffer.from(debugIndexHtml(ctx.req.headers.host))), NO_STORE);
  router.add('GET', '/debug/pprof/', index);
  router.add('GET', '/debug/pprof', index);

  router.add(
    'GET',
    '/debug/pprof/profile',
    async (ctx) => {
      const { seconds, format: kind } = cpuQuery.read(ctx.rawQuery);
      if (ctx.method === 'HEAD') return respond.encoded(ctx, HEAD_OK, NO_STORE); // no 30 s recording for a HEAD
      const recording = await cpu.run('CPU profile', () => recordCpuProfile(seconds * 1000, CPU_INTERVAL_US, recordingStop(ctx, deps.drainSignal)));
      if (ctx.res.destroyed) return; // the client left
      if (kind === 'cpuprofile') return sendJsonFile(ctx, 'profile.cpuprofile', recording.profile);
      return sendPprof(ctx, 'profile', cpuProfileToPprof(recording.profile, { intervalUs: CPU_INTERVAL_US, startedAtMs: recording.startedAtMs }));
    },
  );

  router.add(
    'GET',
    '/debug/pprof/heap',
    async (ctx) => {
      // A snapshot takes no seconds, but a bad one is still refused: one rule per parameter.
      const { seconds, format: kind } = heapQuery.read(ctx.rawQuery);
      if (ctx.method === 'HEAD') return respond.encoded(ctx, HEAD_OK, NO_STORE);
      if (kind === 'heapsnapshot') {
        // Blocks the event loop while V8 walks the heap: behind access control, on request only.
        return heap.run('heap profile', () => respond.stream(ctx, 200, 'application/json', getHeapSnapshot(), attachment('heap.heapsnapshot')));
      }
      const recording = await heap.run('heap profile', () => sampleHeap(seconds * 1000, HEAP_INTERVAL_BYTES, recordingStop(ctx, deps.drainSignal)));
      if (ctx.res.destroyed) return;
      if (kind === 'heapprofile') return sendJsonFile(ctx, 'heap.heapprofile', recording.profile);
      return sendPprof(ctx, 'heap', heapProfileToPprof(recording.profile, { intervalBytes: HEAP_INTERVAL_BYTES, ...recording }));
    },
  );

  router.add(
    'GET',
    '/debug/pprof/goroutine',
    // nosniff: the report quotes request paths, which clients choose.
    (ctx) => respond.encoded(ctx, encodeBytes(200, 'text/plain; charset=utf-8', Buffer.from(runtimeReport(deps))), ['x-content-type-options', 'nosniff', ...NO_STORE]),
  );
}
