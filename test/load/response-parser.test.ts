// ResponseParser: framing of keep-alive HTTP/1.1 responses however the bytes arrive
// (byte by byte, pipelined), chunked bodies with and without trailers, bodiless statuses,
// Connection: close detection, stale copies (X-Cache: STALE), cut-off responses and
// malformed heads.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ResponseParser, type ParsedResponse } from '../../scripts/load/response-parser.js';

const OK_HELLO = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello';

function byteByByte(parser: ResponseParser, text: string): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  const bytes = Buffer.from(text, 'latin1');
  for (let i = 0; i < bytes.length; i++) {
    const got = parser.push(bytes.subarray(i, i + 1));
    // Nothing may complete before the response's last byte.
    if (i < bytes.length - 1) assert.equal(got.length, 0, `completed early at byte ${i} of ${bytes.length}`);
    out.push(...got);
  }
  return out;
}

describe('ResponseParser', () => {
  test('a Content-Length response fed one byte at a time completes exactly on its last byte', () => {
    const parser = new ResponseParser();
    const got = byteByByte(parser, OK_HELLO);
    assert.deepEqual(got, [{ status: 200, bytes: Buffer.byteLength(OK_HELLO), close: false }]);
    assert.equal(parser.pending, 0);
  });

  test('a body containing CRLFCRLF is framed by its length, not by the blank line', () => {
    const body = 'a\r\n\r\nb\r\n\r\n';
    const text = `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const parser = new ResponseParser();
    assert.deepEqual(byteByByte(parser, text), [{ status: 200, bytes: text.length, close: false }]);
  });

  test('several pipelined responses in one chunk come out in order, with their own sizes', () => {
    const second = 'HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found';
    const third = 'HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n';
    const parser = new ResponseParser();
    const got = parser.push(Buffer.from(OK_HELLO + second + third + 'HTTP/1.1 200 OK\r\nContent-Le'));
    assert.deepEqual(got, [
      { status: 200, bytes: OK_HELLO.length, close: false },
      { status: 404, bytes: second.length, close: false },
      { status: 201, bytes: third.length, close: false },
    ]);
    // The start of a fourth stays buffered until the rest arrives.
    assert.equal(parser.pending, 'HTTP/1.1 200 OK\r\nContent-Le'.length);
    const fourth = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
    assert.deepEqual(parser.push(Buffer.from('ngth: 2\r\n\r\nok')), [{ status: 200, bytes: fourth.length, close: false }]);
    assert.equal(parser.pending, 0);
  });

  test('a response split across two chunks at every possible position', () => {
    const text = OK_HELLO + 'HTTP/1.1 500 Internal Server Error\r\nContent-Length: 3\r\n\r\nerr';
    for (let cut = 1; cut < text.length; cut++) {
      const parser = new ResponseParser();
      const got = [...parser.push(Buffer.from(text.slice(0, cut))), ...parser.push(Buffer.from(text.slice(cut)))];
      assert.deepEqual(got.map((r) => r.status), [200, 500], `cut at ${cut}`);
      assert.equal(parser.pending, 0);
    }
  });

  test('chunked transfer-encoding without trailers, byte by byte', () => {
    const text = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n';
    const parser = new ResponseParser();
    assert.deepEqual(byteByByte(parser, text), [{ status: 200, bytes: text.length, close: false }]);
    assert.equal(parser.pending, 0);
  });

  test('chunked with trailers and a chunk extension, followed by a pipelined response', () => {
    const chunked =
      'HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n' +
      '4;name=value\r\n\r\n\r\n\r\n' + // a chunk whose data is CRLFCRLF must not end the body
      '0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n';
    const parser = new ResponseParser();
    const got = parser.push(Buffer.from(chunked + OK_HELLO));
    assert.deepEqual(got, [
      { status: 200, bytes: chunked.length, close: false },
      { status: 200, bytes: OK_HELLO.length, close: false },
    ]);
    assert.equal(parser.pending, 0);
  });

  test('chunked with trailers fed byte by byte', () => {
    const text = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Trailer: yes\r\n\r\n';
    assert.deepEqual(byteByByte(new ResponseParser(), text), [{ status: 200, bytes: text.length, close: false }]);
  });

  test('204 and 304 without a length are complete at the end of the head', () => {
    const noContent = 'HTTP/1.1 204 No Content\r\nAllow: GET\r\n\r\n';
    const notModified = 'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n';
    const got = new ResponseParser().push(Buffer.from(noContent + notModified + OK_HELLO));
    assert.deepEqual(got, [
      { status: 204, bytes: noContent.length, close: false },
      { status: 304, bytes: notModified.length, close: false },
      { status: 200, bytes: OK_HELLO.length, close: false },
    ]);
  });

  test('a 304 carrying the Content-Length of the unsent representation has no body (RFC 9110 8.6)', () => {
    // A server may send Content-Length in a 304 with the size a 200 would have had; the
    // response still ends at the blank line. Waiting for 1234 bytes would stall the socket.
    const notModified = 'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\nContent-Length: 1234\r\n\r\n';
    const parser = new ResponseParser();
    const got = parser.push(Buffer.from(notModified + OK_HELLO));
    assert.deepEqual(got, [
      { status: 304, bytes: notModified.length, close: false },
      { status: 200, bytes: OK_HELLO.length, close: false },
    ]);
    assert.equal(parser.pending, 0);
  });

  test('Connection: close is detected whatever the case and spacing; keep-alive is not close', () => {
    for (const header of ['Connection: close', 'connection: close', 'CONNECTION: CLOSE', 'Connection:close', 'Connection:   Close']) {
      const text = `HTTP/1.1 200 OK\r\nContent-Length: 0\r\n${header}\r\n\r\n`;
      assert.deepEqual(new ResponseParser().push(Buffer.from(text)), [{ status: 200, bytes: text.length, close: true }], header);
    }
    const keepAlive = 'HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n';
    assert.equal(new ResponseParser().push(Buffer.from(keepAlive))[0]?.close, false);
    // A header that merely mentions close elsewhere is not the Connection header.
    const other = 'HTTP/1.1 200 OK\r\nX-Note: connection: close\r\nContent-Length: 0\r\n\r\n';
    assert.equal(new ResponseParser().push(Buffer.from(other))[0]?.close, false);
  });

  test("a 429 or 503's Retry-After in seconds is read; a date, other statuses and look-alike headers are not", () => {
    const parse = (text: string): ParsedResponse | undefined => new ResponseParser().push(Buffer.from(text))[0];
    assert.equal(parse('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n')?.retryAfterSeconds, 1);
    assert.equal(parse('HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\nretry-after:  12 \r\n\r\n')?.retryAfterSeconds, 12);
    assert.equal(parse('HTTP/1.1 503 x\r\nRetry-After: Fri, 31 Dec 1999 23:59:59 GMT\r\nContent-Length: 0\r\n\r\n')?.retryAfterSeconds, undefined);
    assert.equal(parse('HTTP/1.1 200 OK\r\nRetry-After: 5\r\nContent-Length: 0\r\n\r\n')?.retryAfterSeconds, undefined);
    assert.equal(parse('HTTP/1.1 503 x\r\nX-Retry-After: 5\r\nContent-Length: 0\r\n\r\n')?.retryAfterSeconds, undefined);
  });

  test('an HTTP/1.0 response is treated as close', () => {
    const text = 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok';
    assert.deepEqual(new ResponseParser().push(Buffer.from(text)), [{ status: 200, bytes: text.length, close: true }]);
  });

  test('pending reports the bytes of a cut-off response', () => {
    const parser = new ResponseParser();
    assert.equal(parser.pending, 0);
    const partialHead = 'HTTP/1.1 200 OK\r\nContent-Len';
    assert.deepEqual(parser.push(Buffer.from(partialHead)), []);
    assert.equal(parser.pending, partialHead.length);
    // Head complete, body short by 3 bytes.
    const rest = 'gth: 10\r\n\r\n1234567';
    assert.deepEqual(parser.push(Buffer.from(rest)), []);
    assert.equal(parser.pending, partialHead.length + rest.length);
    // A complete response followed by a partial one leaves only the partial one pending.
    const parser2 = new ResponseParser();
    assert.equal(parser2.push(Buffer.from(OK_HELLO + 'HTTP/1.1 2')).length, 1);
    assert.equal(parser2.pending, 'HTTP/1.1 2'.length);
    // An unfinished chunked body is pending too.
    const parser3 = new ResponseParser();
    const chunkedPart = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel';
    assert.deepEqual(parser3.push(Buffer.from(chunkedPart)), []);
    assert.equal(parser3.pending, chunkedPart.length);
  });

  test('a malformed head throws', () => {
    for (const head of ['HTTX/1.1 200 OK', 'HTTP/2 200 OK', 'SSH-2.0-OpenSSH_9.6', 'HTTP/1.1 abc OK', '<html><body>hi</body></html>']) {
      assert.throws(() => new ResponseParser().push(Buffer.from(`${head}\r\nContent-Length: 0\r\n\r\n`)), /malformed response head/, head);
    }
  });

  test('a status line without a three-digit status code throws rather than yielding status 0 or negative', () => {
    // Number('') and Number('   ') are 0 and Number('-12') is -12: all integers, so a weak
    // check would accept them and count the response as a non-2xx success.
    for (const statusLine of ['HTTP/1.1', 'HTTP/1.1    ', 'HTTP/1.1 -12 Odd', 'HTTP/1.1 1e2 Odd']) {
      assert.throws(() => new ResponseParser().push(Buffer.from(`${statusLine}\r\n\r\n`)), /malformed response head/, JSON.stringify(statusLine));
    }
  });

  test('a malformed chunk size throws', () => {
    assert.throws(() => new ResponseParser().push(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n')), /malformed chunk size/);
  });

  test('X-Cache: STALE marks a stale copy, in any case and spacing; HIT, MISS and a look-alike do not', () => {
    const with_ = (header: string): ParsedResponse[] => new ResponseParser().push(Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\n${header}\r\n\r\nok`));
    for (const header of ['X-Cache: STALE', 'x-cache:stale', 'X-CACHE:   Stale  ']) {
      assert.deepEqual(with_(header), [{ status: 200, bytes: 42 + header.length, close: false, stale: true }], header);
    }
    for (const header of ['X-Cache: HIT', 'X-Cache: MISS', 'X-Cache: STALER', 'X-Cache-Note: STALE', 'X-Other: x-cache: stale']) {
      assert.equal(with_(header)[0]?.stale, undefined, header);
    }
  });
});
