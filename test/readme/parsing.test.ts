// The pieces the README examples test stands on: the shell-word splitter, the expectation
// format and its check, and finding the examples in markdown.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchesPattern, mismatches, parseExpectation, parseHead, readmeExamples, targetOf } from './examples.js';
import { shellWords } from './shell-words.js';

test('shellWords splits as sh does: quotes, backslashes, comments', () => {
  assert.deepEqual(shellWords(`curl -si -H 'If-None-Match: "abc"' localhost:8080/x`), ['curl', '-si', '-H', 'If-None-Match: "abc"', 'localhost:8080/x']);
  assert.deepEqual(shellWords(`curl -H "A: \\"b\\" \\\\n" 'x'y\\ z`), ['curl', '-H', 'A: "b" \\n', 'xy z']);
  assert.deepEqual(shellWords(`curl -w '%{size_download}\\n' 'a?b=1'  # a comment`), ['curl', '-w', '%{size_download}\\n', 'a?b=1']);
  assert.deepEqual(shellWords('curl a#b'), ['curl', 'a#b']);
  assert.deepEqual(shellWords(`curl ''`), ['curl', '']);
});

test('shellWords refuses what a shell would expand or interpret', () => {
  for (const line of ['curl $URL', 'curl "$URL"', 'curl localhost:8080/io?ms=5', 'curl a | head', 'curl a > f', 'curl `x`', "curl 'open", 'curl a; b', 'curl a \\']) {
    assert.throws(() => shellWords(line), { name: 'ShellWordsError' }, line);
  }
});

test('an expectation: status first, then present, absent and contains checks', () => {
  assert.deepEqual(parseExpectation('200, ETag, !content-length, content-type: text/plain; version=0.0.4'), {
    status: 200,
    headers: [
      { kind: 'present', name: 'etag' },
      { kind: 'absent', name: 'content-length' },
      { kind: 'contains', name: 'content-type', text: 'text/plain; version=0.0.4' },
    ],
  });
  for (const bad of ['ok', '200, two words', '200, !', '200, name:', '999']) assert.throws(() => parseExpectation(bad), Error, bad);
});

test('mismatches reports each check the head contradicts, and nothing when it holds', () => {
  const head = parseHead('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nVary: Accept-Encoding\r\nvary: Accept\r\nETag: "x"\r\n\r\n');
  assert.equal(head.status, 200);
  assert.deepEqual(mismatches(parseExpectation('200, etag, vary: Accept, !content-encoding'), head), []);
  assert.deepEqual(mismatches(parseExpectation('304, content-length, vary: gzip, !etag'), head), [
    'status 200, expected 304',
    'no content-length header',
    'vary is "Accept-Encoding | Accept", expected it to contain "gzip"',
    'etag present: "x"',
  ]);
});

test('readmeExamples pairs curl lines in sh blocks with the expectation under them', () => {
  const markdown = [
    '```sh',
    'curl -sI localhost:8080/products/1',
    '# -> 200, etag',
    'curl -s localhost:8080/unchecked',
    '```',
    '```text',
    'curl localhost:8080/not-sh',
    '# -> 500',
    '```',
    '```sh',
    "curl -X POST 'http://localhost:8080/products/2?x=1'",
    '# -> 405, allow',
    '```',
  ].join('\n');
  const examples = readmeExamples(markdown);
  assert.deepEqual(
    examples.map((e) => [e.line, e.expect.status]),
    [
      [2, 200],
      [11, 405],
    ],
  );
  assert.deepEqual(examples.map(targetOf), [
    { method: 'HEAD', path: '/products/1' },
    { method: 'POST', path: '/products/2' },
  ]);
  assert.throws(() => readmeExamples('```sh\ncurl -s localhost:8080/a\n# => 200\n```'), /README.md:3/);
  assert.throws(() => readmeExamples('```sh\necho hi\n# -> 200\n```'), /must follow a curl line/);
  assert.throws(() => readmeExamples('```sh\ncurl -s localhost:8080/a\n# -> 200, two words\n```'), /README.md:3/);
});

test('matchesPattern: a {param} is one segment; a trailing slash does not matter', () => {
  assert.ok(matchesPattern('/products/{id}', '/products/42'));
  assert.ok(!matchesPattern('/products/{id}', '/products/42/x'));
  assert.ok(!matchesPattern('/products/{id}', '/products'));
  assert.ok(matchesPattern('/debug/pprof/', '/debug/pprof'));
  assert.ok(matchesPattern('/products', '/products'));
});
