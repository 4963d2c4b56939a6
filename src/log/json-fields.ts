// A log line's values as JSON text: strings escaped only when they need it, and the
// `,"key":value` run a line's extra fields make.

export type LogValue = string | number | boolean | null | undefined | Error | LogFields | readonly LogValue[];
export interface LogFields {
  readonly [key: string]: LogValue;
}

// Characters JSON requires escaping: quote, backslash, C0 controls; and surrogates, which
// JSON.stringify escapes when lone so a line stays valid UTF-8.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A JSON string literal; skips JSON.stringify for the common clean string. */
export function jsonString(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : '"' + value + '"';
}

/** `,"key":value` for every defined field. */
export function fieldsJson(fields: LogFields | undefined): string {
  let extra = '';
  if (fields !== undefined) {
    for (const key of Object.keys(fields)) {
      const value = fields[key];
      if (value === undefined) continue;
      extra += ',' + jsonString(key) + ':' + serialize(value);
    }
  }
  return extra;
}

function serialize(value: LogValue): string {
  if (typeof value === 'string') return jsonString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (value instanceof Error) return JSON.stringify({ name: value.name, message: value.message, stack: value.stack });
  return JSON.stringify(value) ?? 'null';
}

/** A thrown value as an `err` field: Errors as they are, anything else wrapped. */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
