// Command-line parsing shared by `npm run bench` and `npm run prof`: string flags plus
// --help, one-line usage errors with exit code 2, numbers, and the load-generator choice.
import { parseArgs } from 'node:util';
import { hasWrk } from './bench/wrk.js';

export interface Cli {
  /** --help was given: print the usage and do nothing else. */
  readonly help: boolean;
  /** Whether a boolean flag (one of `booleans`) was given. */
  flag(name: string): boolean;
  str(name: string): string | undefined;
  /** A whole number of at least 1. */
  count(name: string, fallback: number): number;
  /** Any number above 0. */
  positive(name: string, fallback: number): number;
  /** --loadgen wrk, node or auto (wrk when installed): whether wrk drives the load. */
  useWrk(): boolean;
  fail(message: string): never;
}

export function parseCli(tool: string, names: readonly string[], booleans: readonly string[] = [], args: readonly string[] = process.argv.slice(2)): Cli {
  const fail = (message: string): never => {
    process.stderr.write(`${tool}: ${message}\n`);
    process.exit(2);
  };
  const flags: Record<string, { type: 'string' } | { type: 'boolean' }> = { help: { type: 'boolean' } };
  for (const name of names) flags[name] = { type: 'string' };
  for (const name of booleans) flags[name] = { type: 'boolean' };
  let values: Record<string, string | boolean | undefined> = {};
  try {
    values = parseArgs({ args: [...args], options: flags, strict: true }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    fail(`${(error as Error).message.split('\n')[0]} (see --help)`);
  }
  const str = (name: string): string | undefined => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  const number = (name: string, fallback: number, pattern: RegExp, min: number, what: string): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if (!pattern.test(raw) || Number(raw) < min) fail(`--${name} must be ${what}, got "${raw}"`);
    return Number(raw);
  };
  return {
    help: values['help'] === true,
    flag: (name) => values[name] === true,
    str,
    count: (name, fallback) => number(name, fallback, /^\d+$/, 1, 'a whole number of at least 1'),
    positive: (name, fallback) => number(name, fallback, /^\d+(\.\d+)?$/, Number.MIN_VALUE, 'a positive number'),
    useWrk: () => {
      const loadgen = str('loadgen') ?? 'auto';
      if (!['auto', 'wrk', 'node'].includes(loadgen)) fail(`--loadgen must be wrk, node or auto, got "${loadgen}"`);
      if (loadgen === 'wrk' && !hasWrk()) fail('wrk is not installed (apt-get install -y wrk)');
      return loadgen === 'wrk' || (loadgen === 'auto' && hasWrk());
    },
    fail,
  };
}
