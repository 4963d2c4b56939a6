// The form a buffered body is handed to res.end in. After writeHead, node:http sends a
// string body in one write with the head (it appends the string to the head's text),
// but a Buffer body goes through cork, a queued chunk for the head and a writev. So a
// small body is kept as a latin1 string, one character per byte, which writes exactly
// its bytes, in one write with the head. A large body stays a Buffer: as a string it
// would be copied whole on every write.

/** Bodies up to this many bytes are written as strings (head + body stay within the
 *  16 KiB that node's stream writes copy on the stack). */
export const STRING_BODY_MAX_BYTES = 8 * 1024;

/** A body as res.end should get it; its `length` is the byte count either way. */
export type WireBody = Buffer | string;

export function wireBody(body: Buffer): WireBody {
  return body.length <= STRING_BODY_MAX_BYTES ? body.toString('latin1') : body;
}
