// The inventory service's fault knobs and start options. One table says how each knob is
// read from the environment, from a --flag and from a PUT /_control body, so the three
// ways in cannot drift apart; tests build their environment from it too (knobsToEnv).
import { parseArgs } from 'node:util';

export interface Knobs {
  /** Added before every answer (not before a refusal or a hang). */
  readonly latencyMs: number;
  /** A uniform extra latency of 0..jitterMs, drawn per request. */
  readonly jitterMs: number;
  /** The share (0..1) of requests answered with errorStatus. */
  readonly errorRate: number;
  readonly errorStatus: number;
  /** The share of requests never answered until the client goes away. */
  readonly hangRate: number;
  /** Sent verbatim as Retry-After on error answers; null sends none. */
  readonly retryAfter: string | null;
  /** The share of would-be 200s whose body is not a valid product or page. */
  readonly garbageRate: number;
  /** Above 0: every 200 body is written DRIP_CHUNK_BYTES at a time, this pause before each chunk. */
  readonly dripMs: number;
  /** Every /products request has its connection destroyed without an answer (/_control still answers). */
  readonly down: boolean;
}

export const DEFAULT_KNOBS: Knobs = {
  latencyMs: 0,
  jitterMs: 0,
  errorRate: 0,
  errorStatus: 503,
  hangRate: 0,
  retryAfter: null,
  garbageRate: 0,
  dripMs: 0,
  down: false,
};

/** A few bytes per chunk: a product takes a couple of dozen chunks to drip. */
export const DRIP_CHUNK_BYTES = 16;

/** A bad knob value, a bad flag or a bad /_control body: the message says which and why. */
export class KnobError extends Error {
  override readonly name = 'KnobError';
}

interface KnobSpec<T> {
  readonly env: string;
  readonly flag: string;
  /** What a valid value is, for the error message. */
  readonly what: string;
  /** From an environment variable or a flag; undefined when invalid. */
  fromText(raw: string): T | undefined;
  /** From a /_control body member; undefined when invalid. */
  fromJson(raw: unknown): T | undefined;
  toText(value: T): string;
}

type KnobSpecs = { readonly [K in keyof Knobs]: KnobSpec<Knobs[K]> };

/** A number from text as Number reads it, but never from blank text (Number('') is 0). */
const textNumber = (raw: string): number => (raw.trim() === '' ? NaN : Number(raw));

function numberKnob(env: string, flag: string, min: number, max: number, integer: boolean, what: string): KnobSpec<number> {
  const check = (n: number): number | undefined => (Number.isFinite(n) && n >= min && n <= max && (!integer || Number.isInteger(n)) ? n : undefined);
  return {
    env,
    flag,
    what,
    fromText: (raw) => check(textNumber(raw)),
    fromJson: (raw) => (typeof raw === 'number' ? check(raw) : undefined),
    toText: String,
  };
}

/** Ten minutes: longer than any test or benchmark waits. */
const MAX_MS = 600_000;
const ms = (env: string, flag: string): KnobSpec<number> => numberKnob(env, flag, 0, MAX_MS, false, `a number of milliseconds from 0 to ${MAX_MS}`);
const rate = (env: string, flag: string): KnobSpec<number> => numberKnob(env, flag, 0, 1, false, 'a number from 0 to 1');

/** What node:http accepts in a header value: tabs and visible ASCII (and spaces). */
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

const KNOBS: KnobSpecs = {
  latencyMs: ms('LATENCY_MS', 'latency-ms'),
  jitterMs: ms('JITTER_MS', 'jitter-ms'),
  errorRate: rate('ERROR_RATE', 'error-rate'),
  errorStatus: numberKnob('ERROR_STATUS', 'error-status', 400, 599, true, 'an HTTP status from 400 to 599'),
  hangRate: rate('HANG_RATE', 'hang-rate'),
  retryAfter: {
    env: 'RETRY_AFTER',
    flag: 'retry-after',
    what: 'a header value (printable ASCII), or null for none',
    // Unset and empty both mean none (empty is never read as text).
    fromText: (raw) => (HEADER_VALUE.test(raw) ? raw : undefined),
    // Any string, even one a client should reject ("", "soon"): sent verbatim.
    fromJson: (raw) => (raw === null ? null : typeof raw === 'string' && HEADER_VALUE.test(raw) ? raw : undefined),
    toText: (value) => value ?? '',
  },
  garbageRate: rate('GARBAGE_RATE', 'garbage-rate'),
  dripMs: ms('DRIP_MS', 'drip-ms'),
  down: {
    env: 'DOWN',
    flag: 'down',
    what: 'true or false (1 or 0)',
    fromText: (raw) => (raw === '1' || raw === 'true' ? true : raw === '0' || raw === 'false' ? false : undefined),
    fromJson: (raw) => (typeof raw === 'boolean' ? raw : undefined),
    toText: (value) => (value ? '1' : '0'),
  },
};

const KNOB_NAMES = Object.keys(KNOBS) as (keyof Knobs)[];

function fromText<K extends keyof Knobs>(name: K, raw: string, source: string): Knobs[K] {
  const spec: KnobSpec<Knobs[K]> = KNOBS[name];
  const value = spec.fromText(raw);
  if (value === undefined) throw new KnobError(`${source} must be ${spec.what}, got ${JSON.stringify(raw)}`);
  return value;
}

/** The knobs after a PUT /_control body: any subset of them, nothing else. */
export function applyControl(current: Knobs, body: unknown): Knobs {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new KnobError('the body must be a JSON object of knobs');
  const next: Record<string, unknown> = { ...current };
  for (const [name, raw] of Object.entries(body)) {
    if (!Object.hasOwn(KNOBS, name)) throw new KnobError(`unknown knob ${JSON.stringify(name)}; knobs: ${KNOB_NAMES.join(', ')}`);
    const spec = KNOBS[name as keyof Knobs];
    const value = spec.fromJson(raw);
    if (value === undefined) throw new KnobError(`${name} must be ${spec.what}, got ${JSON.stringify(raw)}`);
    next[name] = value;
  }
  return next as unknown as Knobs;
}

/** The environment that starts the service with these knobs (the rest at their defaults). */
export function knobsToEnv(knobs: Partial<Knobs>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of KNOB_NAMES) {
    const value = knobs[name];
    if (value !== undefined) env[KNOBS[name].env] = (KNOBS[name] as KnobSpec<typeof value>).toText(value);
  }
  return env;
}

export interface StartOptions {
  readonly port: number;
  readonly host: string;
  /** Products 1..catalogSize exist. */
  readonly catalogSize: number;
  readonly knobs: Knobs;
  /** --help was given: print USAGE and do nothing else. */
  readonly help: boolean;
}

export const USAGE = `Usage: npm run upstream -- [options]   (each option also as an environment variable)
  --port N            PORT, default 9000 (0: any free port)
  --host H            HOST, default 127.0.0.1 (0.0.0.0 for every interface)
  --catalog-size N    CATALOG_SIZE, default 10000 (products 1..N)
${KNOB_NAMES.map((name) => `  --${KNOBS[name].flag.padEnd(18)}${KNOBS[name].env}: ${KNOBS[name].what}`).join('\n')}
Run time: PUT /_control with a JSON object of knobs (camelCase), GET /_control,
GET /_stats, POST /_stats/reset. A flag wins over its environment variable.
Tracing (environment only, as turbina reads them): OTEL_EXPORTER_OTLP_ENDPOINT or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT turns it on; OTEL_SERVICE_NAME (default inventory),
OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG.`;

function wholeNumber(raw: string, source: string, min: number, max: number): number {
  const n = textNumber(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new KnobError(`${source} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

/** The start options from the command line and the environment (a flag wins). */
export function startOptions(args: readonly string[], env: Readonly<Record<string, string | undefined>>): StartOptions {
  const options: Record<string, { type: 'string' } | { type: 'boolean' }> = {
    help: { type: 'boolean' },
    port: { type: 'string' },
    host: { type: 'string' },
    'catalog-size': { type: 'string' },
  };
  for (const name of KNOB_NAMES) options[KNOBS[name].flag] = { type: name === 'down' ? 'boolean' : 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new KnobError((error as Error).message.split('\n')[0] ?? 'bad arguments');
  }
  /** The flag's text (a boolean flag given reads as "1"), else the variable's, with where it
   *  came from. Empty is not given, as turbina's own options read it. */
  const read = (flag: string, envName: string): { raw: string; source: string } | undefined => {
    const value = values[flag];
    if (value !== undefined && value !== '') return { raw: value === true ? '1' : String(value), source: `--${flag}` };
    const fromEnv = env[envName];
    return fromEnv === undefined || fromEnv === '' ? undefined : { raw: fromEnv, source: envName };
  };
  const knobs: Record<string, unknown> = { ...DEFAULT_KNOBS };
  for (const name of KNOB_NAMES) {
    const given = read(KNOBS[name].flag, KNOBS[name].env);
    if (given !== undefined) knobs[name] = fromText(name, given.raw, given.source);
  }
  const port = read('port', 'PORT');
  const host = read('host', 'HOST');
  const size = read('catalog-size', 'CATALOG_SIZE');
  return {
    port: port === undefined ? 9000 : wholeNumber(port.raw, port.source, 0, 65_535),
    host: host === undefined ? '127.0.0.1' : host.raw,
    catalogSize: size === undefined ? 10_000 : wholeNumber(size.raw, size.source, 0, 1_000_000_000),
    knobs: knobs as unknown as Knobs,
    help: values['help'] === true,
  };
}
