// One POST's spans, encoded as each is added, so that a batch holds bytes (or JSON text),
// never span objects: nothing of a request outlives its span's end. The protobuf batch's
// buffer is reused batch after batch and goes out as it is, after a small head: at a few
// hundred kilobytes a batch and a hundred batches a second, fresh buffers were external
// memory that made V8 collect its old space again and again.
import { ProtoWriter } from '../platform/proto-writer.js';
import { encodeSpan, wrapSpansJson, type Scope } from './otlp-json.js';
import { protobufHead, writeSpan, type EncodedSource } from './otlp-protobuf.js';
import type { Attributes, FinishedSpan } from './span.js';

export interface SpanBatch {
  /** Spans added so far. */
  readonly spans: number;
  add(span: FinishedSpan): void;
  /** The request body, in chunks sent one after the other; valid until reset(). */
  body(): readonly Buffer[];
  /** Empties the batch for reuse (after its body was sent and answered). */
  reset(): void;
}

/** What a span's protobuf takes about, so that a batch's buffer grows rarely. */
const BYTES_PER_SPAN = 512;
/** A batch's first buffer at most (a huge OTEL_BSP_MAX_EXPORT_BATCH_SIZE grows to its size
 *  only if that many spans come). */
const MAX_INITIAL_BYTES = 1024 * 1024;

export class ProtobufBatch implements SpanBatch {
  spans = 0;
  private readonly writer: ProtoWriter;

  /** `source`: the exporter's resource and scope, encoded once (encodeSource). */
  constructor(
    private readonly source: EncodedSource,
    expectedSpans: number,
  ) {
    this.writer = new ProtoWriter(Math.min(expectedSpans * BYTES_PER_SPAN, MAX_INITIAL_BYTES));
  }

  add(span: FinishedSpan): void {
    const before = this.writer.size;
    try {
      writeSpan(this.writer, span);
    } catch (error) {
      // Half a span would spoil the whole batch: it is taken back, and the caller told.
      this.writer.truncate(before);
      throw error;
    }
    this.spans++;
  }

  body(): readonly Buffer[] {
    const spans = this.writer.finish();
    return [protobufHead(this.source, spans.length), spans];
  }

  reset(): void {
    this.writer.reset();
    this.spans = 0;
  }
}

export class JsonBatch implements SpanBatch {
  private encoded: string[] = [];

  constructor(
    private readonly resource: Attributes,
    private readonly scope: Scope,
  ) {}

  get spans(): number {
    return this.encoded.length;
  }

  add(span: FinishedSpan): void {
    this.encoded.push(encodeSpan(span));
  }

  body(): readonly Buffer[] {
    return [Buffer.from(wrapSpansJson(this.resource, this.scope, this.encoded))];
  }

  reset(): void {
    this.encoded = [];
  }
}
