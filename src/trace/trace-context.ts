// W3C Trace Context (https://www.w3.org/TR/trace-context/): the traceparent and
// tracestate headers. Read on every traced request, so parsing is char loops over the
// string, no regex and no split. A header that does not parse is ignored (the trace
// restarts), never thrown on and never echoed back.
import type { IncomingHttpHeaders } from 'node:http';
import type { RemoteParent } from './tracer.js';

/** What an incoming traceparent says. */
export interface TraceParent {
  /** 32 lowercase hex digits, not all zero. */
  readonly traceId: string;
  /** The caller's span id: 16 lowercase hex digits, not all zero. */
  readonly parentId: string;
  /** Bit 0 of flags: the caller recorded this trace. */
  readonly sampled: boolean;
  /** The trace-flags byte (0..255) as sent; bit 1 is level 2's "random trace id". */
  readonly flags: number;
}

/** version-traceid-parentid-flags: 2 + 1 + 32 + 1 + 16 + 1 + 2. */
const TRACEPARENT_LENGTH = 55;
const DASH = 0x2d;

/** 0..15 for a lowercase hex digit, -1 otherwise. */
function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  return -1;
}

/** Whether text[start, start + length) is lowercase hex and not all '0'. */
function isNonZeroHex(text: string, start: number, length: number): boolean {
  let nonZero = false;
  for (let i = start; i < start + length; i++) {
    const code = text.charCodeAt(i);
    if (hexValue(code) < 0) return false;
    if (code !== 0x30) nonZero = true;
  }
  return nonZero;
}

/**
 * The traceparent header, or undefined when it is absent or malformed. Version 00 must
 * be exactly 55 characters; a later version (01..fe) may be longer when '-' follows
 * the flags, and its first four fields are read (the spec's forward compatibility).
 * Version ff, uppercase hex, all-zero ids and several traceparent headers are invalid.
 */
export function parseTraceparent(header: string | readonly string[] | undefined): TraceParent | undefined {
  if (header === undefined) return undefined;
  let value: string;
  if (typeof header === 'string') value = header;
  else if (header.length === 1) value = header[0] as string;
  else return undefined;

  const length = value.length;
  if (length < TRACEPARENT_LENGTH) return undefined;
  const v0 = hexValue(value.charCodeAt(0));
  const v1 = hexValue(value.charCodeAt(1));
  if (v0 < 0 || v1 < 0) return undefined;
  const version = v0 * 16 + v1;
  if (version === 0xff) return undefined;
  if (version === 0 ? length !== TRACEPARENT_LENGTH : length > TRACEPARENT_LENGTH && value.charCodeAt(TRACEPARENT_LENGTH) !== DASH) {
    return undefined;
  }
  if (value.charCodeAt(2) !== DASH || value.charCodeAt(35) !== DASH || value.charCodeAt(52) !== DASH) return undefined;
  if (!isNonZeroHex(value, 3, 32) || !isNonZeroHex(value, 36, 16)) return undefined;
  const f0 = hexValue(value.charCodeAt(53));
  const f1 = hexValue(value.charCodeAt(54));
  if (f0 < 0 || f1 < 0) return undefined;
  const flags = f0 * 16 + f1;
  return { traceId: value.slice(3, 35), parentId: value.slice(36, 52), sampled: (flags & 1) === 1, flags };
}

/** The traceparent this process sends: always version 00, flags 01 or 00. */
export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

/** The spec's limits on what tracestate carries along. */
const MAX_MEMBERS = 32;
const MAX_LENGTH = 512;
/** Over MAX_LENGTH, members longer than this go first (the spec's truncation order). */
const LONG_MEMBER = 128;
const MAX_KEY = 256;
const MAX_TENANT = 241;
const MAX_SYSTEM = 14;
const MAX_VALUE = 256;

const isLcAlpha = (code: number): boolean => code >= 0x61 && code <= 0x7a;
const isDigit = (code: number): boolean => code >= 0x30 && code <= 0x39;
/** lcalpha / DIGIT / "_" / "-" / "*" / "/": what may follow a key's first character. */
const isKeyChar = (code: number): boolean =>
  isLcAlpha(code) || isDigit(code) || code === 0x5f || code === 0x2d || code === 0x2a || code === 0x2f;

/**
 * Where the key of a list member ends ('=' at that index), or -1 when the key is
 * malformed: simple-key = lcalpha 0*255(keychar); multi-tenant-key = tenant-id "@"
 * system-id, tenant-id = (lcalpha / DIGIT) 0*240(keychar), system-id = lcalpha 0*13(keychar).
 */
function keyEnd(member: string): number {
  const first = member.charCodeAt(0);
  if (!(isLcAlpha(first) || isDigit(first))) return -1;
  let at = -1;
  let i = 1;
  for (; i < member.length; i++) {
    const code = member.charCodeAt(i);
    if (code === 0x3d) break;
    if (code === 0x40 && at < 0) at = i;
    else if (!isKeyChar(code)) return -1;
  }
  if (i === member.length) return -1;
  if (at < 0) return isLcAlpha(first) && i <= MAX_KEY ? i : -1;
  if (at > MAX_TENANT || at + 1 === i || i - at - 1 > MAX_SYSTEM || !isLcAlpha(member.charCodeAt(at + 1))) return -1;
  return i;
}

/**
 * value = 0*255(chr) nblk-chr; chr is 0x20-0x7e except ',' and '='; nblk-chr also not ' ',
 * which holds already: a member arrives with the whitespace around it trimmed.
 */
function isValue(member: string, start: number): boolean {
  const length = member.length - start;
  if (length < 1 || length > MAX_VALUE) return false;
  for (let i = start; i < member.length; i++) {
    const code = member.charCodeAt(i);
    if (code < 0x20 || code > 0x7e || code === 0x2c || code === 0x3d) return false;
  }
  return true;
}

const isOws = (code: number): boolean => code === 0x20 || code === 0x09;

/**
 * The tracestate to pass along, or '' for none. Malformed members are dropped; a key
 * seen twice voids the whole header (the spec allows either, and a duplicate means the
 * list cannot be trusted). At most 32 members and 512 characters are kept, cutting whole
 * members: over 512, members longer than 128 characters go first, then any, from the end.
 * Several tracestate headers are one list, in order.
 */
export function sanitizeTracestate(header: string | readonly string[] | undefined): string {
  if (header === undefined) return '';
  const value = typeof header === 'string' ? header : header.join(',');
  if (value.length === 0) return '';

  const members: string[] = [];
  const keys = new Set<string>();
  let start = 0;
  while (start <= value.length) {
    let end = value.indexOf(',', start);
    if (end < 0) end = value.length;
    // Trim the optional whitespace around the comma; empty members are allowed and skipped.
    let from = start;
    let to = end;
    while (from < to && isOws(value.charCodeAt(from))) from++;
    while (to > from && isOws(value.charCodeAt(to - 1))) to--;
    if (to > from) {
      const member = value.slice(from, to);
      const eq = keyEnd(member);
      if (eq > 0 && isValue(member, eq + 1)) {
        const key = member.slice(0, eq);
        if (keys.has(key)) return '';
        keys.add(key);
        members.push(member);
      }
    }
    start = end + 1;
  }
  if (members.length > MAX_MEMBERS) members.length = MAX_MEMBERS;
  return withinLength(members);
}

/**
 * members joined by ',', cut to MAX_LENGTH characters as the spec orders: members over
 * LONG_MEMBER characters go first, then any; each time the last one (the leftmost
 * members are the most recently updated, the ones worth keeping).
 */
function withinLength(members: string[]): string {
  let total = joinedLength(members);
  for (let i = members.length - 1; i >= 0 && total > MAX_LENGTH; i--) {
    if ((members[i] as string).length > LONG_MEMBER) {
      members.splice(i, 1);
      total = joinedLength(members);
    }
  }
  while (total > MAX_LENGTH) {
    members.pop();
    total = joinedLength(members);
  }
  return members.join(',');
}

function joinedLength(members: readonly string[]): number {
  let total = members.length > 0 ? members.length - 1 : 0;
  for (const member of members) total += member.length;
  return total;
}

/** The caller's context from a request's headers: its traceparent, and its tracestate
 *  within limits; undefined when there is no valid traceparent (a new trace starts). */
export function remoteParent(headers: IncomingHttpHeaders): RemoteParent | undefined {
  const caller = parseTraceparent(headers.traceparent);
  if (caller === undefined) return undefined;
  return { traceId: caller.traceId, parentId: caller.parentId, sampled: caller.sampled, traceState: sanitizeTracestate(headers.tracestate) };
}
