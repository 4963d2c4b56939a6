// Builds a pprof profile.proto message from V8 call frames: a string table whose entry 0
// is "", one function per url:line:column:name (so anonymous functions stay apart), one
// location per function, and samples as leaf-first location ids with one value per
// sample type. Field numbers: google/pprof proto/profile.proto.
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProtoWriter } from '../../platform/proto-writer.js';

/** V8's Runtime.CallFrame: line and column are 0-based, -1 when unknown. */
export interface CallFrame {
  readonly functionName: string;
  readonly scriptId: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

export interface ValueType {
  readonly type: string;
  readonly unit: string;
}

export interface ProfileMeta {
  readonly periodType: ValueType;
  readonly period: number;
  /** Wall-clock start, epoch nanoseconds (beyond 2^53, hence bigint). */
  readonly timeNanos: bigint;
  readonly durationNanos: number;
  /** Which sample type pprof shows first. */
  readonly defaultSampleType: string;
}

// profile.proto field numbers.
const PROFILE = { sampleType: 1, sample: 2, location: 4, function: 5, stringTable: 6, timeNanos: 9, durationNanos: 10, periodType: 11, period: 12, defaultSampleType: 14 };
const VALUE_TYPE = { type: 1, unit: 2 };
const SAMPLE = { locationId: 1, value: 2 };
const LOCATION = { id: 1, line: 4 };
const LINE = { functionId: 1, line: 2 };
const FUNCTION = { id: 1, name: 2, systemName: 3, filename: 4, startLine: 5 };

interface FunctionEntry {
  readonly id: number;
  readonly name: number;
  readonly filename: number;
  /** 1-based; 0 when V8 did not know it. */
  readonly line: number;
}

interface Sample {
  readonly locations: readonly number[];
  readonly values: readonly number[];
}

export class ProfileBuilder {
  private readonly strings: string[] = [''];
  private readonly stringIds = new Map<string, number>([['', 0]]);
  private readonly functions = new Map<string, FunctionEntry>();
  private readonly samples: Sample[] = [];

  constructor(private readonly sampleTypes: readonly ValueType[]) {}

  /** The location id of a call frame (locations and functions share ids: one each). */
  locationOf(frame: CallFrame): number {
    const key = `${frame.url}:${frame.lineNumber}:${frame.columnNumber}:${frame.functionName}`;
    let entry = this.functions.get(key);
    if (entry === undefined) {
      entry = {
        id: this.functions.size + 1,
        name: this.string(functionName(frame)),
        filename: this.string(fileName(frame.url)),
        line: frame.lineNumber >= 0 ? frame.lineNumber + 1 : 0,
      };
      this.functions.set(key, entry);
    }
    return entry.id;
  }

  /** `locations` leaf first; `values` one per sample type. */
  addSample(locations: readonly number[], values: readonly number[]): void {
    if (locations.length > 0 && values.some((v) => v !== 0)) this.samples.push({ locations, values });
  }

  encode(meta: ProfileMeta): Uint8Array {
    const w = new ProtoWriter();
    for (const type of this.sampleTypes) w.message(PROFILE.sampleType, (m) => this.valueType(m, type));
    for (const sample of this.samples) {
      w.message(PROFILE.sample, (m) => m.packed(SAMPLE.locationId, sample.locations).packed(SAMPLE.value, sample.values));
    }
    for (const fn of this.functions.values()) {
      w.message(PROFILE.location, (m) =>
        m.uint(LOCATION.id, fn.id).message(LOCATION.line, (l) => l.uint(LINE.functionId, fn.id).uint(LINE.line, fn.line)),
      );
    }
    for (const fn of this.functions.values()) {
      w.message(PROFILE.function, (m) =>
        m
          .uint(FUNCTION.id, fn.id)
          .uint(FUNCTION.name, fn.name)
          .uint(FUNCTION.systemName, fn.name)
          .uint(FUNCTION.filename, fn.filename)
          .uint(FUNCTION.startLine, fn.line),
      );
    }
    w.uint(PROFILE.timeNanos, meta.timeNanos).uint(PROFILE.durationNanos, Math.round(meta.durationNanos));
    w.message(PROFILE.periodType, (m) => this.valueType(m, meta.periodType));
    w.uint(PROFILE.period, Math.round(meta.period));
    w.uint(PROFILE.defaultSampleType, this.string(meta.defaultSampleType));
    // Last, so every string above is in it; entry 0 ("") is written like any other.
    for (const text of this.strings) w.string(PROFILE.stringTable, text);
    return w.finish();
  }

  private valueType(w: ProtoWriter, type: ValueType): void {
    w.uint(VALUE_TYPE.type, this.string(type.type)).uint(VALUE_TYPE.unit, this.string(type.unit));
  }

  private string(text: string): number {
    let id = this.stringIds.get(text);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(text);
      this.stringIds.set(text, id);
    }
    return id;
  }
}

/** Anonymous functions are named by where they are, so they do not collapse into one. */
function functionName(frame: CallFrame): string {
  if (frame.functionName !== '') return frame.functionName;
  if (frame.url === '') return '(anonymous)';
  return `(anonymous ${basename(frame.url)}:${frame.lineNumber + 1}:${frame.columnNumber + 1})`;
}

/** file:///srv/dist/app.js -> /srv/dist/app.js, so `go tool pprof -list` finds the file. */
function fileName(url: string): string {
  if (!url.startsWith('file://')) return url;
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}
