// A strict parser of the Prometheus text exposition format (0.0.4) for tests: every line
// must be a HELP, a TYPE or a sample matching the grammar, every family must have HELP
// and TYPE before its samples, and label values may hold only the escapes \\ \" \n.
import { execFileSync } from 'node:child_process';
import { hasCommand } from './tools.js';

export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface PromFamily {
  readonly name: string;
  help: string | undefined;
  type: string | undefined;
  readonly samples: PromSample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
// A label pair; the value holds no raw quote, backslash or line feed, only their escapes.
const PAIR = String.raw`[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"`;
const SAMPLE = new RegExp(String.raw`^(${NAME})(?:\{(${PAIR}(?:,${PAIR})*)?\})? (\S+)$`);
const LABEL_GLOBAL = new RegExp(String.raw`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"`, 'g');
const VALUE = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function unescape(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function familyOf(sample: string, families: Map<string, PromFamily>): PromFamily | undefined {
  const direct = families.get(sample);
  if (direct !== undefined) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sample.endsWith(suffix)) continue;
    const family = families.get(sample.slice(0, -suffix.length));
    if (family?.type === 'histogram' || family?.type === 'summary') return family;
  }
  return undefined;
}

/** Parses the text or throws naming the first bad line. */
export function parsePrometheus(text: string): Map<string, PromFamily> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  const families = new Map<string, PromFamily>();
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, i) => {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta !== null) {
      const [, kind, name = '', rest = ''] = meta;
      if (!new RegExp(`^${NAME}$`).test(name)) throw new Error(`bad metric name, ${where}`);
      let family = families.get(name);
      if (family === undefined) {
        family = { name, help: undefined, type: undefined, samples: [] };
        families.set(name, family);
      }
      if (family.samples.length > 0) throw new Error(`${kind} after samples, ${where}`);
      if (kind === 'HELP') {
        if (family.help !== undefined) throw new Error(`second HELP, ${where}`);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ''))) throw new Error(`bad escape in HELP, ${where}`);
        family.help = rest;
      } else {
        if (family.type !== undefined || !TYPES.has(rest)) throw new Error(`bad TYPE, ${where}`);
        family.type = rest;
      }
      return;
    }
    if (line.startsWith('#') || line === '') throw new Error(`unexpected line, ${where}`);
    const [, name, labelText = '', rawValue] = SAMPLE.exec(line) ?? [];
    if (name === undefined || rawValue === undefined) throw new Error(`not a sample line, ${where}`);
    if (!VALUE.test(rawValue)) throw new Error(`bad value, ${where}`);
    const labels: Record<string, string> = {};
    for (const [, key, rawLabel] of labelText.matchAll(LABEL_GLOBAL)) {
      if (key === undefined || rawLabel === undefined) throw new Error(`bad label, ${where}`);
      if (key in labels) throw new Error(`repeated label ${key}, ${where}`);
      labels[key] = unescape(rawLabel);
    }
    const family = familyOf(name, families);
    if (family === undefined || family.help === undefined || family.type === undefined) throw new Error(`sample without HELP and TYPE, ${where}`);
    const value = rawValue === '+Inf' ? Infinity : rawValue === '-Inf' ? -Infinity : Number(rawValue);
    family.samples.push({ name, labels, value });
  });
  return families;
}

/** The one sample of `name` whose labels include `labels`; throws if none or several. */
export function sampleValue(families: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}): number {
  const found: PromSample[] = [];
  for (const family of families.values()) {
    for (const s of family.samples) {
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) found.push(s);
    }
  }
  const [only] = found;
  if (only === undefined || found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return only.value;
}

/** Histogram invariants: cumulative buckets, le="+Inf" equal to _count. */
export function checkHistogram(family: PromFamily): void {
  let previous = -1;
  let inf: number | undefined;
  let count: number | undefined;
  for (const s of family.samples) {
    if (s.name.endsWith('_bucket')) {
      if (s.value < previous) throw new Error(`${family.name}: buckets not cumulative at le=${s.labels['le']}`);
      previous = s.value;
      if (s.labels['le'] === '+Inf') inf = s.value;
    } else if (s.name.endsWith('_count')) {
      count = s.value;
    }
  }
  if (inf === undefined || count === undefined || inf !== count) throw new Error(`${family.name}: +Inf bucket ${inf} != _count ${count}`);
}

let promtool: boolean | undefined;
/** Whether `promtool` is on PATH (Debian: apt-get install -y prometheus). */
export function hasPromtool(): boolean {
  promtool ??= hasCommand('promtool', ['--version']);
  return promtool;
}

/** Runs `promtool check metrics` on the text; returns its output (throws if it fails). */
export function promtoolCheck(text: string): string {
  return execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 20_000 });
}
