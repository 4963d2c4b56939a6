// The Node-version checks: reusePortSupported's version table, zstd found exactly where
// node:zlib has it, and allowHalfOpen on a real server and socket.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, test } from 'node:test';
import zlib from 'node:zlib';
import { boundPort } from '../../src/lifecycle/listeners.js';
import { allowHalfOpen, reusePortSupported, zlibZstd } from '../../src/platform/node-features.js';
import { sendRaw } from '../helpers/raw.js';

describe('reusePortSupported', () => {
  test('Linux with Node 22.12+ or 23.1+ only', () => {
    const cases: Array<[string, string, boolean]> = [
      ['20.20.2', 'linux', false],
      ['22.11.0', 'linux', false],
      ['22.12.0', 'linux', true],
      ['23.0.0', 'linux', false],
      ['23.1.0', 'linux', true],
      ['24.21.0', 'linux', true],
      ['26.0.0', 'linux', true],
      ['24.21.0', 'darwin', false],
      ['24.21.0', 'win32', false],
    ];
    for (const [version, platform, expected] of cases) {
      assert.equal(reusePortSupported(version, platform), expected, `${version} on ${platform}`);
    }
  });
});

test('zlibZstd is node:zlib exactly where it has zstdCompress, and then compresses', async (t) => {
  const has = typeof Reflect.get(zlib, 'zstdCompress') === 'function';
  assert.equal(zlibZstd !== undefined, has);
  const api = zlibZstd;
  if (api === undefined) {
    t.skip(`no zstd in node:zlib on Node ${process.versions.node}`);
    return;
  }
  assert.equal(api, zlib);
  const body = Buffer.from('turbina '.repeat(1000));
  const out = await new Promise<Buffer>((resolve, reject) =>
    api.zstdCompress(body, { params: { [api.constants.ZSTD_c_compressionLevel]: 3 } }, (error, result) => (error ? reject(error) : resolve(result))),
  );
  assert.ok(out.length < body.length / 10, `${out.length} bytes`);
});

test('allowHalfOpen: a client that half-closes after its request still gets a late answer', async () => {
  const server = createServer((_req, res) => {
    // Answered after the client's FIN has arrived.
    setTimeout(() => res.end('late'), 100);
  });
  allowHalfOpen(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const text = await sendRaw(boundPort(server, 0), 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'half-close', 2000);
    assert.match(text, /^HTTP\/1\.1 200 /);
    assert.ok(text.endsWith('late'), JSON.stringify(text));
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
