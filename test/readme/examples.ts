// The README's checked examples: a `curl` line in a ```sh block, immediately followed by
// an expectation line such as
//     curl -si localhost:8080/products/42
//     # -> 200, content-type: application/json, etag, !content-encoding
// The first item is the status; `name` means the header is present, `name: text` that one
// of its values contains `text`, `!name` that it is absent. Items are separated by commas,
// so an expected value cannot contain one.
import { shellWords } from './shell-words.js';

/** Where the README's examples send their requests; the test swaps in its server. */
export const README_ORIGIN = 'localhost:8080';

export type HeaderCheck =
  | { readonly kind: 'present'; readonly name: string }
  | { readonly kind: 'absent'; readonly name: string }
  | { readonly kind: 'contains'; readonly name: string; readonly text: string };

export interface Expectation {
  readonly status: number;
  readonly headers: readonly HeaderCheck[];
}

export interface Example {
  /** 1-based line of the curl command in the README. */
  readonly line: number;
  readonly command: string;
  /** curl's arguments (without `curl`), as a shell would split them. */
  readonly args: readonly string[];
  readonly expectText: string;
  readonly expect: Expectation;
}

/** A response head as curl's --dump-header wrote it. */
export interface Head {
  readonly status: number;
  /** Lower-case names; a header sent twice (Vary) keeps both values. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
}

const EXPECT_PREFIX = '# -> ';
/** Anything that looks meant as an expectation line, so a typo fails instead of being skipped. */
const LOOKS_LIKE_EXPECTATION = /^#\s*[-=]+>/;
const HEADER_NAME = /^[A-Za-z0-9-]+$/;

export function parseExpectation(text: string): Expectation {
  const [first, ...rest] = text.split(',').map((item) => item.trim());
  if (first === undefined || !/^[1-5][0-9][0-9]$/.test(first)) throw new Error(`expected a status first, got "${first ?? ''}"`);
  const headers = rest.map((item): HeaderCheck => {
    const colon = item.indexOf(':');
    if (item.startsWith('!')) {
      const name = item.slice(1);
      if (!HEADER_NAME.test(name)) throw new Error(`"${item}": expected !header-name`);
      return { kind: 'absent', name: name.toLowerCase() };
    }
    if (colon === -1) {
      if (!HEADER_NAME.test(item)) throw new Error(`"${item}": expected a header name`);
      return { kind: 'present', name: item.toLowerCase() };
    }
    const name = item.slice(0, colon);
    const valueText = item.slice(colon + 1).trim();
    if (!HEADER_NAME.test(name) || valueText === '') throw new Error(`"${item}": expected header-name: text`);
    return { kind: 'contains', name: name.toLowerCase(), text: valueText };
  });
  return { status: Number(first), headers };
}

/** Every checked example, in the README's order. Throws, naming the line, on a malformed one. */
export function readmeExamples(markdown: string): Example[] {
  const lines = markdown.split('\n');
  const examples: Example[] = [];
  let fence: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const opening = /^```(\S*)/.exec(line);
    if (opening) {
      fence = fence === undefined ? (opening[1] ?? '') : undefined;
      continue;
    }
    if (fence !== 'sh' || !LOOKS_LIKE_EXPECTATION.test(line)) continue;
    const where = `README.md:${i + 1}`;
    if (!line.startsWith(EXPECT_PREFIX)) throw new Error(`${where}: an expectation line starts with "${EXPECT_PREFIX}"`);
    const command = lines[i - 1] ?? '';
    if (!command.startsWith('curl ')) throw new Error(`${where}: an expectation must follow a curl line`);
    try {
      const expectText = line.slice(EXPECT_PREFIX.length).trim();
      examples.push({ line: i, command, args: shellWords(command).slice(1), expectText, expect: parseExpectation(expectText) });
    } catch (error) {
      throw new Error(`${where}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return examples;
}

export interface Section {
  readonly text: string;
  /** 1-based lines of its heading and of its last line. */
  readonly firstLine: number;
  readonly lastLine: number;
}

/** One `## ` section, from its heading to the next `## ` heading. */
export function section(markdown: string, heading: string): Section | undefined {
  const lines = markdown.split('\n');
  const start = lines.indexOf(`## ${heading}`);
  if (start === -1) return undefined;
  const next = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  const end = next === -1 ? lines.length : next;
  return { text: lines.slice(start, end).join('\n'), firstLine: start + 1, lastLine: end };
}

/** The method and path an example requests. */
export function targetOf(example: Example): { readonly method: string; readonly path: string } {
  let method = 'GET';
  let url: string | undefined;
  const args = example.args;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '-X' || arg === '--request') method = args[++i] ?? method;
    else if (/^-[A-Za-z]*X[A-Z]+$/.test(arg)) method = arg.slice(arg.indexOf('X') + 1);
    else if (arg === '--head' || /^-[A-Za-z]*I[A-Za-z]*$/.test(arg)) method = 'HEAD';
    else if (arg.includes(README_ORIGIN) && !arg.startsWith('-')) url = arg;
  }
  if (url === undefined) throw new Error(`README.md:${example.line}: no ${README_ORIGIN} URL in: ${example.command}`);
  return { method, path: new URL(url.includes('://') ? url : `http://${url}`).pathname };
}

/** Whether a path matches a route pattern (`{param}` is one segment; a trailing slash is ignored). */
export function matchesPattern(pattern: string, path: string): boolean {
  const trim = (p: string): string => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);
  const source = trim(pattern)
    .split('/')
    .map((segment) => (/^\{[^}]+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`).test(trim(path));
}

/** Parses curl's --dump-header output; the last head wins (after any 1xx). */
export function parseHead(dump: string): Head {
  const blocks = dump.split(/\r?\n\r?\n/).filter((block) => block.trim() !== '');
  const last = blocks[blocks.length - 1];
  if (last === undefined) throw new Error('curl wrote no response head');
  const [statusLine = '', ...fields] = last.split(/\r?\n/);
  const status = /^HTTP\/[0-9.]+ ([0-9]{3})/.exec(statusLine);
  if (!status) throw new Error(`not a status line: ${statusLine}`);
  const headers = new Map<string, string[]>();
  for (const field of fields) {
    const colon = field.indexOf(':');
    if (colon <= 0) continue;
    const name = field.slice(0, colon).trim().toLowerCase();
    const values = headers.get(name) ?? [];
    values.push(field.slice(colon + 1).trim());
    headers.set(name, values);
  }
  return { status: Number(status[1]), headers };
}

/** What in the head contradicts the expectation; empty when it holds. */
export function mismatches(expect: Expectation, head: Head): string[] {
  const found: string[] = [];
  if (head.status !== expect.status) found.push(`status ${head.status}, expected ${expect.status}`);
  for (const check of expect.headers) {
    const values = head.headers.get(check.name);
    if (check.kind === 'present' && values === undefined) found.push(`no ${check.name} header`);
    if (check.kind === 'absent' && values !== undefined) found.push(`${check.name} present: ${values.join(' | ')}`);
    if (check.kind === 'contains' && !(values ?? []).some((value) => value.includes(check.text))) {
      found.push(`${check.name} is ${values === undefined ? 'absent' : `"${values.join(' | ')}"`}, expected it to contain "${check.text}"`);
    }
  }
  return found;
}
