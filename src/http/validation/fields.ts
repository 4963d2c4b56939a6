// The declarative description of a path or query parameter: its value type (a whole
// number in a range, one of a few words, text matching a pattern) and whether it is
// required, has a default, or may repeat. Fields are plain data built once at startup;
// query-schema.ts and path-params.ts turn them into readers. What a field reads as, in
// TypeScript, follows from its options: `int({ default: 20 })` reads as number,
// `int({})` as number | undefined, `int({ repeated: true })` as readonly number[].
import type { InputRule } from '../http-error.js';

/** Why a raw value was refused. One instance per rule: refusing allocates nothing. */
export class Broken {
  constructor(readonly rule: InputRule) {}
}

const BROKE_TYPE = new Broken('type');
const BROKE_MIN = new Broken('min');
const BROKE_MAX = new Broken('max');
const BROKE_ENUM = new Broken('enum');
const BROKE_PATTERN = new Broken('pattern');

/** Reads one percent-decoded value. */
export interface ValueType<T> {
  /** What a good value is, as the end of "must be ...". */
  readonly expected: string;
  read(raw: string): T | Broken;
}

export interface FieldOptions<T> {
  /** What an absent parameter reads as (not with required or repeated). */
  readonly default?: T;
  /** Absent is a 400 (with repeated: at least one). */
  readonly required?: boolean;
  /** Every occurrence is collected into a list; without it a second occurrence is a 400. */
  readonly repeated?: boolean;
}

/** A field whose values are T and whose parse result is Out. */
export interface Field<T, Out> {
  readonly type: ValueType<T>;
  readonly required: boolean;
  readonly repeated: boolean;
  readonly hasDefault: boolean;
  /** What an absent, optional parameter reads as: its default, undefined, or []. */
  readonly absent: Out;
}

/** The parse result of a field of T declared with options O. */
export type Read<T, O> = O extends { readonly repeated: true }
  ? readonly T[]
  : O extends { readonly default: T }
    ? T
    : O extends { readonly required: true }
      ? T
      : T | undefined;

/** Any field, for schemas (fields are covariant in both types). */
export type AnyField = Field<unknown, unknown>;

/** The largest whole number a parameter can be: 15 digits are always a safe integer. */
export const MAX_WHOLE = 999_999_999_999_999;
const MAX_DIGITS = 15;

class WholeNumber implements ValueType<number> {
  readonly expected: string;

  constructor(
    readonly min: number,
    readonly max: number,
  ) {
    this.expected = `a whole number from ${min} to ${max}`;
  }

  /** Digits only ("007" is 7; no sign, point, exponent or space), 1 to 15 of them. */
  read(raw: string): number | Broken {
    const length = raw.length;
    if (length === 0 || length > MAX_DIGITS) return BROKE_TYPE;
    let value = 0;
    for (let i = 0; i < length; i++) {
      const digit = raw.charCodeAt(i) - 48; /* 0 */
      if (digit < 0 || digit > 9) return BROKE_TYPE;
      value = value * 10 + digit;
    }
    if (value < this.min) return BROKE_MIN;
    if (value > this.max) return BROKE_MAX;
    return value;
  }
}

class OneOf<V extends string> implements ValueType<V> {
  readonly expected: string;

  constructor(private readonly values: readonly V[]) {
    this.expected = `one of ${values.join(', ')}`;
  }

  read(raw: string): V | Broken {
    const values = this.values;
    for (let i = 0; i < values.length; i++) if (values[i] === raw) return values[i]!;
    return BROKE_ENUM;
  }
}

class Matching implements ValueType<string> {
  readonly expected: string;

  constructor(private readonly pattern: RegExp) {
    this.expected = `text matching ${String(pattern)}`;
  }

  read(raw: string): string | Broken {
    return this.pattern.test(raw) ? raw : BROKE_PATTERN;
  }
}

export interface IntOptions extends FieldOptions<number> {
  /** 0 when not given. */
  readonly min?: number;
  /** MAX_WHOLE when not given. */
  readonly max?: number;
}

/** A whole number of 1 to 15 decimal digits within [min, max]. */
export function int<const O extends IntOptions = Record<never, never>>(options?: O): Field<number, Read<number, O>> {
  const min = options?.min ?? 0;
  const max = options?.max ?? MAX_WHOLE;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max > MAX_WHOLE || min > max) {
    throw new Error(`int(): min ${min} and max ${max} must be whole numbers with 0 <= min <= max <= ${MAX_WHOLE}`);
  }
  return field(new WholeNumber(min, max), options);
}

/** One of the given words, exactly (case matters). */
export function oneOf<const V extends string, const O extends FieldOptions<V> = Record<never, never>>(
  values: readonly [V, ...V[]],
  options?: O,
): Field<V, Read<V, O>> {
  return field(new OneOf(values), options);
}

/** Text the whole of which matches `pattern` (anchor it: ^...$). */
export function text<const O extends FieldOptions<string> = Record<never, never>>(pattern: RegExp, options?: O): Field<string, Read<string, O>> {
  if (pattern.global || pattern.sticky) throw new Error(`text(): ${String(pattern)} must not be global or sticky (test() would keep state)`);
  return field(new Matching(pattern), options);
}

function field<T, O extends FieldOptions<T>>(type: ValueType<T>, options: O | undefined): Field<T, Read<T, O>> {
  const required = options?.required === true;
  const repeated = options?.repeated === true;
  const fallback = options?.default;
  const hasDefault = fallback !== undefined;
  if (hasDefault && (required || repeated)) throw new Error('a field with a default can be neither required nor repeated');
  if (hasDefault && type.read(String(fallback)) instanceof Broken) {
    throw new Error(`the default ${String(fallback)} is not ${type.expected}`);
  }
  // The one place a field's runtime value meets its declared type: Read<T, O> is, by
  // construction, [] for repeated, the default when there is one, else undefined.
  const absent = (repeated ? Object.freeze([]) : fallback) as Read<T, O>;
  return { type, required, repeated, hasDefault, absent };
}
