// A route's query parameters, declared once at startup and read with one call:
//   const listQuery = query({ offset: int({ default: 0 }), limit: int({ min: 1, max: 1000, default: 20 }) });
//   const { offset, limit } = listQuery.read(ctx.rawQuery); // typed { offset: number; limit: number }
// Every bad input of the request is reported at once, as the uniform 400 (invalid.ts).
// Unknown names are ignored unless the schema says `unknown: 'refuse'`.
import { parseQuery } from '../query.js';
import { Broken, type AnyField, type Field } from './fields.js';
import { InputErrors } from './invalid.js';

export type QueryFields = Readonly<Record<string, AnyField>>;

/** What a schema of these fields reads a query as. */
export type QueryResult<F extends QueryFields> = { readonly [K in keyof F]: F[K] extends Field<unknown, infer Out> ? Out : never };

export interface QueryOptions {
  /** A name the schema does not declare: ignored (the default) or a 400. */
  readonly unknown?: 'ignore' | 'refuse';
}

/**
 * Clients send the same few queries again and again (a page size, a format, ms=1), so a
 * schema remembers what recent query texts read as: a repeat costs one Map lookup and
 * allocates nothing. Bounded by entry count and key length, and emptied when full, so a
 * flood of distinct queries costs one parse each, as it would without it, and holds no
 * memory. A refused query is never remembered.
 */
const MEMO_ENTRIES = 256;
const MEMO_KEY_MAX = 256;

export class QuerySchema<Out> {
  private readonly names: readonly string[];
  private readonly fields: readonly AnyField[];
  private readonly positions = new Map<string, number>();
  private readonly refuseUnknown: boolean;
  private readonly memo = new Map<string, Out>();
  /** What the empty query reads as; undefined when it is refused (a required field). */
  private readonly empty: Out | undefined;

  constructor(fields: QueryFields, options: QueryOptions) {
    this.names = Object.keys(fields);
    this.fields = Object.values(fields);
    this.names.forEach((name, i) => this.positions.set(name, i));
    this.refuseUnknown = options.unknown === 'refuse';
    this.empty = this.fields.some((f) => f.required) ? undefined : this.validate('');
  }

  /** The query text (ctx.rawQuery) read by the schema, or a 400 HttpError naming every
   *  bad input. The result is shared with later requests sending the same text (it is
   *  frozen). */
  read(raw: string): Out {
    if (raw === '') return this.empty ?? this.validate(raw);
    const known = this.memo.get(raw);
    if (known !== undefined) return known;
    const value = this.validate(raw);
    if (raw.length <= MEMO_KEY_MAX) {
      if (this.memo.size >= MEMO_ENTRIES) this.memo.clear();
      this.memo.set(raw, value);
    }
    return value;
  }

  /** Query texts remembered now (at most 256). */
  get remembered(): number {
    return this.memo.size;
  }

  private validate(raw: string): Out {
    const errors = new InputErrors();
    const parts = parseQuery(raw, errors);
    const { fields, names } = this;
    const counts: number[] = new Array<number>(fields.length).fill(0);
    const values: unknown[] = new Array<unknown>(fields.length);
    const lists: (unknown[] | undefined)[] = new Array<unknown[] | undefined>(fields.length);
    let refused: Set<string> | undefined;
    for (const { name, value: rawValue } of parts) {
      const at = this.positions.get(name);
      if (at === undefined) {
        if (this.refuseUnknown && !(refused ??= new Set()).has(name)) {
          refused.add(name);
          errors.add('query', name, 'unknown', `is not accepted here (accepted: ${names.join(', ') || 'none'})`);
        }
        continue;
      }
      const field = fields[at]!;
      const count = ++counts[at]!;
      if (count > 1 && !field.repeated) {
        if (count === 2) errors.add('query', name, 'repeated', 'must be given at most once');
        continue;
      }
      const value = field.type.read(rawValue);
      if (value instanceof Broken) {
        errors.add('query', name, value.rule, 'must be ' + field.type.expected, rawValue);
      } else if (field.repeated) {
        (lists[at] ??= []).push(value);
      } else {
        values[at] = value;
      }
    }
    const out: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      const name = names[i]!;
      if (counts[i] === 0) {
        if (field.required) errors.add('query', name, 'required', `must be given (${field.type.expected})`);
        out[name] = field.absent;
      } else {
        out[name] = field.repeated ? Object.freeze(lists[i] ?? []) : values[i];
      }
    }
    if (errors.count > 0) throw errors.toError();
    // The one place the runtime object meets QueryResult: one entry per declared field,
    // each read by that field.
    return Object.freeze(out) as Out;
  }
}

/** Declares a route's query parameters (see the top of this file). */
export function query<const F extends QueryFields>(fields: F, options: QueryOptions = {}): QuerySchema<QueryResult<F>> {
  return new QuerySchema<QueryResult<F>>(fields, options);
}
