// Background load for tests that profile a server while it works: the project's own load
// generator (worker threads, so a CPU profile of this process sees the server, not it).
import { runLoad } from '../../scripts/load/loadgen.js';
import type { LoadResult } from '../../scripts/load/types.js';

export function loadFor(port: number, ms: number, path = '/products/1'): Promise<LoadResult> {
  return runLoad({ host: '127.0.0.1', port, plan: { path }, connections: 8, threads: 1, durationMs: ms, timeoutMs: 5000 });
}
