// A reader of binary OTLP ExportTraceServiceRequests for the tests, written apart from
// the encoder (it shares no code with src/): a generic protobuf walk that keeps wire
// types, then the fields of opentelemetry-proto's trace, common and resource messages by
// number, turned into the OTLP/JSON shape (hex ids, 64-bit numbers as decimal strings,
// proto3 defaults filled in as otlp-json.ts writes them) so the two encodings compare
// with one deepEqual. It is strict: an unknown field, a wrong wire type, a repeated
// singular field, an id of the wrong size or invalid UTF-8 throws.

type Json = Record<string, unknown>;

interface Field {
  readonly wire: number;
  /** Varints as unsigned bigints, fixed64 as bytes, length-delimited as bytes. */
  readonly value: bigint | Buffer;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function walk(bytes: Buffer): Map<number, Field[]> {
  const out = new Map<number, Field[]>();
  let at = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = bytes[at++];
      if (byte === undefined) throw new Error('truncated varint');
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
    throw new Error('varint longer than 10 bytes');
  };
  const take = (length: number): Buffer => {
    if (at + length > bytes.length) throw new Error('a field overruns its message');
    const value = bytes.subarray(at, at + length);
    at += length;
    return value;
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const wire = key & 7;
    let value: bigint | Buffer;
    if (wire === 0) value = varint();
    else if (wire === 1) value = take(8);
    else if (wire === 2) value = take(Number(varint()));
    else throw new Error(`unexpected wire type ${wire}`);
    const list = out.get(key >>> 3) ?? [];
    list.push({ wire, value });
    out.set(key >>> 3, list);
  }
  return out;
}

/** A message's fields, each looked up (and checked) by number at most once. */
class Message {
  private readonly fields: Map<number, Field[]>;
  private readonly read = new Set<number>();

  constructor(
    private readonly name: string,
    bytes: Buffer,
  ) {
    this.fields = walk(bytes);
  }

  private all(field: number, wire: number): Field[] {
    this.read.add(field);
    const list = this.fields.get(field) ?? [];
    for (const f of list) if (f.wire !== wire) throw new Error(`${this.name}.${field}: wire type ${f.wire}, expected ${wire}`);
    return list;
  }

  private one(field: number, wire: number): Field | undefined {
    const list = this.all(field, wire);
    if (list.length > 1) throw new Error(`${this.name}.${field} appears ${list.length} times`);
    return list[0];
  }

  has(field: number): boolean {
    return this.fields.has(field);
  }

  varint(field: number): bigint {
    return (this.one(field, 0)?.value as bigint | undefined) ?? 0n;
  }

  fixed64(field: number): bigint {
    const f = this.one(field, 1);
    return f === undefined ? 0n : (f.value as Buffer).readBigUInt64LE(0);
  }

  double(field: number): number {
    const f = this.one(field, 1);
    return f === undefined ? 0 : (f.value as Buffer).readDoubleLE(0);
  }

  bytes(field: number): Buffer | undefined {
    return this.one(field, 2)?.value as Buffer | undefined;
  }

  string(field: number): string {
    const b = this.bytes(field);
    return b === undefined ? '' : utf8.decode(b);
  }

  message(field: number, name: string): Message | undefined {
    const b = this.bytes(field);
    return b === undefined ? undefined : new Message(name, b);
  }

  messages(field: number, name: string): Message[] {
    return this.all(field, 2).map((f) => new Message(name, f.value as Buffer));
  }

  /** Throws if a field was never asked for: the encoder wrote something this reader does not know. */
  done(): void {
    for (const field of this.fields.keys()) if (!this.read.has(field)) throw new Error(`${this.name}: unexpected field ${field}`);
  }
}

function hexId(m: Message, field: number, size: number, what: string): string | undefined {
  const b = m.bytes(field);
  if (b === undefined) return undefined;
  if (b.length !== size) throw new Error(`${what} is ${b.length} bytes, not ${size}`);
  return b.toString('hex');
}

function anyValue(m: Message): Json {
  const present = [1, 2, 3, 4].filter((field) => m.has(field));
  if (present.length !== 1) throw new Error(`AnyValue holds ${present.length} values`);
  let value: Json;
  if (m.has(1)) value = { stringValue: m.string(1) };
  else if (m.has(2)) {
    const flag = m.varint(2);
    if (flag > 1n) throw new Error(`bool_value ${flag}`);
    value = { boolValue: flag === 1n };
  } else if (m.has(3)) value = { intValue: String(BigInt.asIntN(64, m.varint(3))) };
  else {
    const d = m.double(4);
    // As proto3 JSON writes the doubles JSON has no literal for.
    value = { doubleValue: Number.isNaN(d) ? 'NaN' : d === Infinity ? 'Infinity' : d === -Infinity ? '-Infinity' : d };
  }
  m.done();
  return value;
}

function attributes(m: Message, field: number): Json[] {
  return m.messages(field, 'KeyValue').map((kv) => {
    const value = kv.message(2, 'AnyValue');
    if (value === undefined) throw new Error('KeyValue without a value');
    const pair = { key: kv.string(1), value: anyValue(value) };
    kv.done();
    return pair;
  });
}

function span(m: Message): Json {
  const traceId = hexId(m, 1, 16, 'trace_id');
  const spanId = hexId(m, 2, 8, 'span_id');
  const parentSpanId = hexId(m, 4, 8, 'parent_span_id');
  const out: Json = { traceId, spanId };
  if (parentSpanId !== undefined) out.parentSpanId = parentSpanId;
  if (m.has(3)) out.traceState = m.string(3);
  out.name = m.string(5);
  out.kind = Number(m.varint(6));
  out.startTimeUnixNano = String(m.fixed64(7));
  out.endTimeUnixNano = String(m.fixed64(8));
  out.attributes = attributes(m, 9);
  const status = m.message(15, 'Status');
  if (status === undefined) throw new Error('a span without a status');
  out.status = status.has(2) ? { code: Number(status.varint(3)), message: status.string(2) } : { code: Number(status.varint(3)) };
  status.done();
  m.done();
  return out;
}

/** An ExportTraceServiceRequest in the OTLP/JSON shape. */
export function decodeTraceRequest(body: Buffer): Json {
  const request = new Message('ExportTraceServiceRequest', body);
  const resourceSpans = request.messages(1, 'ResourceSpans').map((rs) => {
    const resource = rs.message(1, 'Resource');
    const resourceJson = { attributes: resource === undefined ? [] : attributes(resource, 1) };
    resource?.done();
    const scopeSpans = rs.messages(2, 'ScopeSpans').map((ss) => {
      const scope = ss.message(1, 'InstrumentationScope');
      const scopeJson = scope === undefined ? {} : { name: scope.string(1), version: scope.string(2) };
      scope?.done();
      const spans = ss.messages(2, 'Span').map(span);
      ss.done();
      return { scope: scopeJson, spans };
    });
    rs.done();
    return { resource: resourceJson, scopeSpans };
  });
  request.done();
  return { resourceSpans };
}
