// A minimal HTTP/1.1 response reader for the load generator: status line, Content-Length
// or chunked bodies, Connection: close, a refusal's Retry-After and whether the answer was
// a stale copy. Enough to frame responses on a keep-alive socket.

export interface ParsedResponse {
  readonly status: number;
  /** Bytes of the whole response on the wire (head and body). */
  readonly bytes: number;
  readonly close: boolean;
  /** Retry-After in whole seconds, on a 429 or 503 that carries one (an HTTP date is not read). */
  readonly retryAfterSeconds?: number;
  /** Served from an expired copy: `X-Cache: STALE` (turbina's stale-if-error). */
  readonly stale?: true;
}

const HEAD_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');
/** In the lowercased head. */
const STALE = /\r\nx-cache:[ \t]*stale[ \t]*(?:\r|$)/;

export class ResponseParser {
  private buffer: Buffer = Buffer.alloc(0);

  /** Appends received bytes; returns every response they complete, in order. */
  push(chunk: Buffer): ParsedResponse[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const done: ParsedResponse[] = [];
    for (;;) {
      const response = this.takeOne();
      if (response === undefined) return done;
      done.push(response);
    }
  }

  /** Bytes of a response received but not complete (a cut-off response on close). */
  get pending(): number {
    return this.buffer.length;
  }

  private takeOne(): ParsedResponse | undefined {
    const headEnd = this.buffer.indexOf(HEAD_END);
    if (headEnd < 0) return undefined;
    const head = this.buffer.toString('latin1', 0, headEnd).toLowerCase();
    const statusLine = /^http\/1\.[01] (\d{3})(?: |\r|$)/.exec(head);
    if (statusLine === null) throw new Error(`malformed response head: ${head.slice(0, 40)}`);
    const status = Number(statusLine[1]);
    const close = /\r\nconnection:\s*close/.test(head) || head.startsWith('http/1.0');
    let end: number;
    if ((status >= 100 && status < 200) || status === 204 || status === 304) {
      // Never a body, whatever Content-Length says (a 304 may carry the 200's length).
      end = headEnd + 4;
    } else if (/\r\ntransfer-encoding:[^\r]*chunked/.test(head)) {
      const chunkedEnd = this.chunkedEnd(headEnd + 4);
      if (chunkedEnd < 0) return undefined;
      end = chunkedEnd;
    } else {
      const match = /\r\ncontent-length:\s*(\d+)/.exec(head);
      // No length and not chunked: bodiless statuses, or read to close (not supported).
      const length = match ? Number(match[1]) : 0;
      end = headEnd + 4 + length;
      if (this.buffer.length < end) return undefined;
    }
    this.buffer = this.buffer.subarray(end);
    const retry = status === 503 || status === 429 ? /\r\nretry-after:[ \t]*(\d{1,9})[ \t]*(?:\r|$)/.exec(head) : null;
    const response: ParsedResponse = retry === null ? { status, bytes: end, close } : { status, bytes: end, close, retryAfterSeconds: Number(retry[1]) };
    return STALE.test(head) ? { ...response, stale: true } : response;
  }

  /** Offset just past the final chunk and trailers, or -1 when not all received. */
  private chunkedEnd(from: number): number {
    let at = from;
    for (;;) {
      const lineEnd = this.buffer.indexOf(CRLF, at);
      if (lineEnd < 0) return -1;
      const size = parseInt(this.buffer.toString('latin1', at, lineEnd), 16);
      if (Number.isNaN(size)) throw new Error('malformed chunk size');
      if (size === 0) {
        // "0\r\n" then optional trailer lines then an empty line: the first CRLFCRLF.
        const end = this.buffer.indexOf(HEAD_END, lineEnd);
        return end < 0 ? -1 : end + 4;
      }
      at = lineEnd + 2 + size + 2;
      if (this.buffer.length < at) return -1;
    }
  }
}
