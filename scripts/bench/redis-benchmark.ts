// redis-benchmark's own GET rate against a scenario's redis-server: the ceiling an L2 hit
// through Redis can approach on this machine, measured once per scenario, placed like the
// load generator (it inherits the bench's cores).
import { execFile } from 'node:child_process';
import { generateProduct } from '../../src/products/catalog.js';

/** What redis-benchmark measured for GET. */
export interface RedisBenchmarkRate {
  readonly scenario: string;
  readonly getPerSec: number;
  readonly p99Ms: number;
  /** The size of each value it read. */
  readonly valueBytes: number;
  /** The command line, to rerun it by hand. */
  readonly command: string;
}

export const REDIS_BENCHMARK_REQUESTS = 200_000;
export const REDIS_BENCHMARK_CLIENTS = 100;

/** A product's JSON: about what an L2 hit reads. */
export function productBlobBytes(): number {
  return Buffer.byteLength(JSON.stringify(generateProduct(1)));
}

/** SET before GET: the GET test reads the key the SET test wrote, so each GET returns a
 *  value of `valueBytes` (alone, GET would read a missing key and return nothing). */
export function redisBenchmarkArgs(port: number, valueBytes: number, requests = REDIS_BENCHMARK_REQUESTS): string[] {
  return ['-h', '127.0.0.1', '-p', String(port), '-t', 'set,get', '-n', String(requests), '-c', String(REDIS_BENCHMARK_CLIENTS), '-d', String(valueBytes), '-q', '--csv'];
}

/** The GET row of `--csv` output ("test","rps",...,"p99_latency_ms",...); undefined without one. */
export function parseRedisBenchmarkCsv(text: string): { readonly getPerSec: number; readonly p99Ms: number } | undefined {
  const rows = text.split('\n').map((line) => line.trim().split(',').map((cell) => cell.replace(/^"|"$/g, '')));
  const header = rows[0];
  const get = rows.find((cells) => cells[0] === 'GET');
  if (header === undefined || get === undefined) return undefined;
  const rps = Number(get[header.indexOf('rps')]);
  const p99 = Number(get[header.indexOf('p99_latency_ms')]);
  return Number.isFinite(rps) && rps > 0 && Number.isFinite(p99) ? { getPerSec: rps, p99Ms: p99 } : undefined;
}

export function runRedisBenchmark(scenario: string, port: number, valueBytes = productBlobBytes(), requests = REDIS_BENCHMARK_REQUESTS): Promise<RedisBenchmarkRate> {
  const args = redisBenchmarkArgs(port, valueBytes, requests);
  return new Promise((resolve, reject) => {
    execFile('redis-benchmark', args, { encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) => {
      const parsed = parseRedisBenchmarkCsv(stdout);
      if (error !== null || parsed === undefined) {
        reject(new Error(`redis-benchmark ${args.join(' ')}: ${error?.message ?? 'no GET row'} ${stderr}`.trim()));
        return;
      }
      resolve({ scenario, ...parsed, valueBytes, command: `redis-benchmark ${args.join(' ')}` });
    });
  });
}
