// A profile.proto reader for the tests, written apart from the encoder (it shares no code
// with src/observability/pprof): gunzip, a generic protobuf field walk, then the fields
// of google/pprof's profile.proto by number.
import { gunzipSync } from 'node:zlib';

type Field = bigint | Buffer;

/** Every field of one message: number -> values in order (packed fields stay as bytes). */
function fields(bytes: Buffer): Map<number, Field[]> {
  const out = new Map<number, Field[]>();
  let at = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = bytes[at++];
      if (byte === undefined) throw new Error('truncated varint');
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    let value: Field;
    if (wire === 0) value = varint();
    else if (wire === 2) {
      const length = Number(varint());
      if (at + length > bytes.length) throw new Error(`field ${field} overruns the message`);
      value = bytes.subarray(at, at + length);
      at += length;
    } else throw new Error(`unexpected wire type ${wire} for field ${field}`);
    const list = out.get(field) ?? [];
    list.push(value);
    out.set(field, list);
  }
  return out;
}

function packed(values: Field[] | undefined): number[] {
  const out: number[] = [];
  for (const value of values ?? []) {
    if (typeof value === 'bigint') {
      out.push(Number(value));
      continue;
    }
    let at = 0;
    while (at < value.length) {
      let n = 0;
      let scale = 1;
      for (;;) {
        const byte = value[at++];
        if (byte === undefined) throw new Error('truncated packed varint');
        n += (byte & 0x7f) * scale;
        scale *= 128;
        if (byte < 0x80) break;
      }
      out.push(n);
    }
  }
  return out;
}

const num = (m: Map<number, Field[]>, field: number): number => Number((m.get(field)?.[0] as bigint | undefined) ?? 0n);
const big = (m: Map<number, Field[]>, field: number): bigint => (m.get(field)?.[0] as bigint | undefined) ?? 0n;
const messages = (m: Map<number, Field[]>, field: number): Map<number, Field[]>[] => (m.get(field) ?? []).map((b) => fields(b as Buffer));

export interface DecodedFunction {
  readonly id: number;
  readonly name: string;
  readonly filename: string;
  readonly startLine: number;
}

export interface DecodedProfile {
  readonly stringTable: readonly string[];
  readonly sampleTypes: readonly { readonly type: string; readonly unit: string }[];
  readonly samples: readonly { readonly locationIds: readonly number[]; readonly values: readonly number[] }[];
  readonly locations: ReadonlyMap<number, readonly { readonly functionId: number; readonly line: number }[]>;
  readonly functions: ReadonlyMap<number, DecodedFunction>;
  readonly periodType: { readonly type: string; readonly unit: string };
  readonly period: number;
  readonly timeNanos: bigint;
  readonly durationNanos: number;
  readonly defaultSampleType: string;
  /** Leaf-first function names of one sample. */
  stack(sample: { readonly locationIds: readonly number[] }): DecodedFunction[];
}

/** Reads gzip-compressed (or raw) profile.proto bytes. */
export function decodePprof(data: Buffer): DecodedProfile {
  const raw = data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data) : data;
  const profile = fields(raw);
  const stringTable = (profile.get(6) ?? []).map((b) => (b as Buffer).toString('utf8'));
  const str = (index: number): string => {
    const s = stringTable[index];
    if (s === undefined) throw new Error(`string index ${index} outside the table (${stringTable.length})`);
    return s;
  };
  const valueType = (m: Map<number, Field[]>) => ({ type: str(num(m, 1)), unit: str(num(m, 2)) });
  const functions = new Map<number, DecodedFunction>();
  for (const f of messages(profile, 5)) {
    functions.set(num(f, 1), { id: num(f, 1), name: str(num(f, 2)), filename: str(num(f, 4)), startLine: num(f, 5) });
  }
  const locations = new Map<number, { functionId: number; line: number }[]>();
  for (const l of messages(profile, 4)) {
    locations.set(num(l, 1), messages(l, 4).map((line) => ({ functionId: num(line, 1), line: num(line, 2) })));
  }
  const periodType = messages(profile, 11)[0];
  return {
    stringTable,
    sampleTypes: messages(profile, 1).map(valueType),
    samples: messages(profile, 2).map((s) => ({ locationIds: packed(s.get(1)), values: packed(s.get(2)) })),
    locations,
    functions,
    periodType: periodType ? valueType(periodType) : { type: '', unit: '' },
    period: num(profile, 12),
    timeNanos: big(profile, 9),
    durationNanos: num(profile, 10),
    defaultSampleType: str(num(profile, 14)),
    stack(sample) {
      return sample.locationIds.flatMap((id) =>
        (locations.get(id) ?? []).map((line) => {
          const fn = functions.get(line.functionId);
          if (fn === undefined) throw new Error(`location ${id} names missing function ${line.functionId}`);
          return fn;
        }),
      );
    },
  };
}
