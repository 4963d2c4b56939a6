// Every route's bad inputs as the README's "Bad input" table lists them, sent over real
// sockets to one server: each is the uniform 400 naming the parameter. The table must
// cover every route that takes parameters, and the 400 body the README shows must be the
// one the server sends.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { request, startApp, type TestApp } from '../helpers/http.js';
import { assertInvalid } from '../helpers/problem.js';

/** dist/suite/test/routes/ -> the repository's README.md */
const README = fileURLToPath(new URL('../../../../README.md', import.meta.url));
const markdown = readFileSync(README, 'utf8');
const start = markdown.indexOf('### Bad input');
const section = start < 0 ? '' : markdown.slice(start, markdown.indexOf('\n### ', start + 1));

/** The routes whose handlers read a query schema (path parameters are found in the router). */
const QUERY_ROUTES = ['/products', '/io', '/metrics', '/debug/pprof/profile', '/debug/pprof/heap'];

interface BadInput {
  readonly route: string;
  readonly path: string;
  readonly where: 'path' | 'query';
  readonly name: string;
}

/** `| \`/route\` | parameters | \`bad\`, \`bad\` |` rows, one request per bad example. */
function tableRows(): BadInput[] {
  const inputs: BadInput[] = [];
  for (const line of section.split('\n')) {
    if (!line.startsWith('| `/')) continue;
    const cells = line.split('|').slice(1, -1);
    const route = /`([^`]+)`/.exec(cells[0] ?? '')?.[1] ?? '';
    for (const [, example = ''] of (cells[2] ?? '').matchAll(/`([^`]+)`/g)) {
      const param = /\{([A-Za-z_]+)\}/.exec(route);
      if (param !== null) inputs.push({ route, path: route.replace(param[0], example), where: 'path', name: param[1] ?? '' });
      else inputs.push({ route, path: `${route}?${example}`, where: 'query', name: example.slice(0, example.indexOf('=')) });
    }
  }
  return inputs;
}

describe("the README's bad inputs, every route", () => {
  const inputs = tableRows();
  let t: TestApp;
  before(async () => {
    t = await startApp();
  });
  after(() => t.close());

  test('the table lists every route that takes parameters, each with examples', () => {
    const listed = new Set(inputs.map((i) => i.route));
    const withPathParams = t.app.router.routes.filter((r) => r.pattern.includes('{')).map((r) => r.pattern);
    assert.deepEqual([...listed].sort(), [...new Set([...withPathParams, ...QUERY_ROUTES])].sort());
    assert.ok(inputs.length >= 2 * listed.size, `${inputs.length} examples for ${listed.size} routes`);
  });

  for (const input of inputs) {
    test(`${input.path} -> 400 naming ${input.where} parameter "${input.name}"`, async () => {
      // A route answers its own method (DELETE /products/{id}/cache); GET for the others.
      const method = t.app.router.routes.find((r) => r.pattern === input.route)?.method ?? 'GET';
      assertInvalid(await request(t.port, input.path, { method }), input.where, input.name);
    });
  }

  test('the example 400 body in the README is the one sent', async () => {
    const curl = /curl -si '[^/]+(\/[^']+)'\n# -> 400[^\n]*\n# (\{.+\})\n```/.exec(section);
    assert.ok(curl !== null, 'the section shows a curl of a bad request and its body');
    const [, path = '', body = ''] = curl;
    const reply = await request(t.port, path);
    assertInvalid(reply, 'query', 'offset');
    assert.equal(reply.text, body);
  });
});
