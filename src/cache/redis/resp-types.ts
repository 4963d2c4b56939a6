// The values a RESP2/RESP3 reply decodes to, and the two ways a reply can fail: the server
// said no (RedisError, the connection is fine) or the bytes make no sense (RespProtocolError,
// the connection must be dropped because where the next reply starts is unknown).

/** A server error reply ('-' or '!'): code is its first word (ERR, WRONGTYPE, NOAUTH, NOPERM, LOADING, ...). */
export class RedisError extends Error {
  override readonly name = 'RedisError';
  readonly code: string;

  constructor(message: string) {
    super(message);
    const space = message.indexOf(' ');
    this.code = space === -1 ? message : message.slice(0, space);
  }
}

/** A RESP3 push ('>'): out-of-band (invalidations, pub/sub), never a command's reply. */
export class RespPush {
  constructor(readonly items: readonly RespValue[]) {}
}

/** '%' keys as text (bulk keys utf8-decoded, numbers as String). */
export type RespMap = Map<string, RespValue>;

export type RespValue =
  | null // RESP2 null bulk '$-1' / null array '*-1', RESP3 '_'
  | string // '+' simple string; '=' verbatim string with its 'txt:' prefix dropped
  | Buffer // '$' bulk string (binary safe; a copy the caller may keep)
  | number // ':' integer within the safe range, ',' double (inf, -inf, nan too)
  | bigint // '(' big number, and a ':' integer beyond the safe range
  | boolean // '#'
  | RedisError // '-' / '!' (as a top-level reply or an element inside an aggregate)
  | readonly RespValue[] // '*' array, '~' set
  | RespMap // '%' map
  | RespPush; // '>' push (top level only)
// '|' attributes are parsed and dropped.

/** Malformed input or a limit exceeded: the connection must be dropped. */
export class RespProtocolError extends Error {
  override readonly name = 'RespProtocolError';
}

export interface RespParserOptions {
  /** A '$'/'!'/'=' longer than this is a RespProtocolError (before buffering it). */
  readonly maxBulkBytes: number;
  /** Elements per array/set/map/push (default 1_048_576). */
  readonly maxAggregateLength?: number;
  /** Nesting of aggregates (default 32). */
  readonly maxDepth?: number;
  /** A simple line (+ - : , ( # _ and headers) longer than this is an error (default 64 KiB). */
  readonly maxLineBytes?: number;
  /** The bytes of one whole top-level value, every element of an aggregate counted, held at
   *  once (default the larger of 64 MiB and twice maxBulkBytes): many small elements are
   *  bounded too. */
  readonly maxReplyBytes?: number;
}
