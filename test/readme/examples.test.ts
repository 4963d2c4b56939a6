// The README's curl examples, run. Every `curl` line in a ```sh block of README.md that is
// followed by an expectation line (`# -> 200, content-type: application/json, !etag`;
// examples.ts describes the format) is run with the real curl binary, in the README's
// order, against one freshly started real server (dist/server.js), as a reader would type
// them; its status and headers must be as the line says. So the manual cannot drift from
// the server, and a route nobody documented fails here.
//
// Examples the README leaves without an expectation line, so they are not run: the
// `go tool pprof` commands and the 10 s and 30 s profiles (too slow for the suite; the
// 1 s profiles under Endpoints stand in for them), the DEBUG_TOKEN example (a remote host
// and a token), and the zstd one (its answer depends on the Node version).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startServer, type Child } from '../helpers/child.js';
import { withApp } from '../helpers/http.js';
import { hasCommand, skipWithout } from '../helpers/tools.js';
import { matchesPattern, mismatches, parseHead, README_ORIGIN, readmeExamples, section, targetOf, type Example } from './examples.js';

const execFileAsync = promisify(execFile);

/** dist/suite/test/readme/ -> the repository's README.md */
const README = fileURLToPath(new URL('../../../../README.md', import.meta.url));
/** Fewer than this means examples were deleted or their expectation lines lost. */
const MIN_EXAMPLES = 30;
const CURL_TIMEOUT_S = 20;


// In CI a missing curl fails the test (.ci/run installs it) rather than skipping it unseen.
const HAS_CURL = hasCommand('curl', ['--version']);
const SKIP = skipWithout(HAS_CURL, 'curl', 'apt-get install -y curl');

const markdown = readFileSync(README, 'utf8');
const examples = readmeExamples(markdown);

function succeeds(example: Example): boolean {
  return (example.expect.status >= 200 && example.expect.status < 300) || example.expect.status === 304;
}

describe('README.md examples', () => {
  test(`there are at least ${MIN_EXAMPLES} checked curl examples`, () => {
    assert.ok(examples.length >= MIN_EXAMPLES, `found ${examples.length} curl lines with an expectation line`);
  });

  test('every route is documented under Endpoints, with a checked example there that succeeds', async () => {
    const endpoints = section(markdown, 'Endpoints');
    assert.ok(endpoints, 'README.md has no "## Endpoints" section');
    const inSection = (example: Example): boolean => example.line > endpoints.firstLine && example.line <= endpoints.lastLine;
    const checked = examples.filter((example) => inSection(example) && succeeds(example)).map(targetOf);
    // The app with every optional route on: what a server can answer is what must be documented.
    await withApp(async ({ app }) => {
      const routes = app.router.routes;
      assert.ok(routes.length > 5, 'the app registered too few routes to check');
      for (const route of routes) {
        assert.ok(endpoints.text.includes(route.pattern), `${route.method} ${route.pattern} is not mentioned under Endpoints`);
        const covered = checked.some((t) => (t.method === route.method || (route.method === 'GET' && t.method === 'HEAD')) && matchesPattern(route.pattern, t.path));
        assert.ok(covered, `${route.method} ${route.pattern} has no checked example under Endpoints answering 2xx or 304`);
      }
    }, { debugEndpoints: 'on' });
  });

  describe('run against the real server', { skip: SKIP }, () => {
    let child: Child | undefined;
    let port = 0;
    // Examples that save a body (-o page.json) write it here, not into the repository.
    const dir = mkdtempSync(join(tmpdir(), 'turbina-readme-'));

    before(async () => {
      assert.ok(HAS_CURL, 'curl is required when CI is set (apt-get install -y curl)');
      // The /debug examples need the routes, whatever the default; the rate-limit one a
      // limit; the deadline one a deadline shorter than /io's longest wait.
      ({ child, port } = await startServer([], { DEBUG_ENDPOINTS: 'on', RATE_LIMIT_RPS: '1000', REQUEST_DEADLINE_MS: '500' }));
    });

    after(async () => {
      child?.kill('SIGTERM');
      await child?.exited;
      rmSync(dir, { recursive: true, force: true });
    });

    for (const example of examples) {
      test(`README.md:${example.line} ${example.command}`, async () => {
        const headFile = join(dir, 'head.txt');
        const args = [
          ...example.args.map((arg) => arg.replaceAll(README_ORIGIN, `127.0.0.1:${port}`)),
          // Last, so they win over the example's own -D: the head goes to a file whatever
          // the example does with the body (-o, -i, -I).
          '-sS',
          '--max-time',
          String(CURL_TIMEOUT_S),
          '--dump-header',
          headFile,
        ];
        await execFileAsync('curl', args, { cwd: dir, maxBuffer: 64 * 1024 * 1024, timeout: (CURL_TIMEOUT_S + 5) * 1000 });
        const head = parseHead(readFileSync(headFile, 'latin1'));
        const wrong = mismatches(example.expect, head);
        const received = [`HTTP ${head.status}`, ...[...head.headers].map(([name, values]) => `${name}: ${values.join(' | ')}`)].join('\n  ');
        assert.deepEqual(wrong, [], `README.md:${example.line} expects "${example.expectText}"; received:\n  ${received}`);
      });
    }

    test('the server drains and exits 0 after the examples', async () => {
      assert.ok(child);
      child.kill('SIGTERM');
      const { code } = await child.exited;
      assert.equal(code, 0, child.stderr());
    });
  });
});
