// The /debug/pprof/goroutine analogue: Node has no goroutines, so this lists what keeps
// the event loop busy instead: active handles and requests, in-flight HTTP requests with
// their age, open connections, and event-loop delay. Plain text, like Go's debug=1.
import { performance } from 'node:perf_hooks';
import type { ConnectionTracker } from '../../http/connections.js';
import type { EventLoopMonitor } from '../event-loop.js';

export interface RuntimeSources {
  readonly connections: ConnectionTracker;
  readonly eventLoop: EventLoopMonitor;
  /** performance.now() at startup. */
  readonly startedAt: number;
}

const ms = (value: number): string => `${value.toFixed(1)} ms`;

export function runtimeReport(sources: RuntimeSources): string {
  const now = performance.now();
  const lines: string[] = [];
  lines.push(`runtime report: pid ${process.pid}, node ${process.version}, uptime ${((now - sources.startedAt) / 1000).toFixed(1)} s`);

  const resources = process.getActiveResourcesInfo();
  const byKind = new Map<string, number>();
  for (const kind of resources) byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
  lines.push('', `active resources (process.getActiveResourcesInfo): ${resources.length}`);
  for (const [kind, count] of [...byKind].sort((a, b) => b[1] - a[1])) lines.push(`${String(count).padStart(7)} ${kind}`);

  const connections = [...sources.connections.states()];
  const requests = connections.flatMap((c) => c.active).sort((a, b) => a.start - b.start);
  lines.push('', `in-flight requests: ${requests.length} (oldest first)`);
  for (const ctx of requests) {
    lines.push(`  ${ms(now - ctx.start).padStart(12)}  ${ctx.method} ${ctx.path}${ctx.rawQuery === '' ? '' : '?' + ctx.rawQuery}  id=${ctx.id} remote=${ctx.remote ?? '-'}`);
  }

  lines.push('', `open connections: ${connections.length} (accepted since start: ${sources.connections.total})`);
  for (const conn of connections) {
    const state = conn.active.length > 0 ? `${conn.active.length} in flight` : `idle ${ms(now - conn.idleSince)}`;
    lines.push(`  ${conn.remote ?? '-'}:${conn.socket.remotePort ?? '-'}  ${state}  read ${conn.socket.bytesRead} B, written ${conn.socket.bytesWritten} B`);
  }

  const loop = sources.eventLoop.snapshot();
  lines.push(
    '',
    `event loop (last ${loop.windowSeconds} s): delay p50 ${loop.delayMs.p50} ms, p99 ${loop.delayMs.p99} ms, max ${loop.delayMs.max} ms; utilization ${loop.utilization}`,
  );
  return lines.join('\n') + '\n';
}
