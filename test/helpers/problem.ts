// The uniform 400 every bad request input gets (src/http/validation/invalid.ts), checked
// as a client sees it: the exact problem shape, and the input it must name.
import assert from 'node:assert/strict';
import type { InputLocation, InputRule, InvalidInput } from '../../src/http/http-error.js';
import type { Reply } from './http.js';

export interface InvalidProblem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly errors: readonly InvalidInput[];
}

const RULES: readonly InputRule[] = ['type', 'min', 'max', 'pattern', 'enum', 'required', 'repeated', 'unknown', 'encoding'];

/** Asserts `reply` is the uniform 400 and names `name` (in `where`, breaking `rule` when given). */
export function assertInvalid(reply: Reply, where: InputLocation, name: string, rule?: InputRule): InvalidProblem {
  assert.equal(reply.status, 400, reply.text);
  assert.equal(reply.headers['content-type'], 'application/problem+json');
  assert.equal(reply.headers['content-length'], String(reply.body.length));
  const problem = reply.json<InvalidProblem>();
  assert.deepEqual(Object.keys(problem), ['type', 'title', 'status', 'detail', 'errors'], reply.text);
  assert.equal(problem.type, 'about:blank');
  assert.equal(problem.title, 'Bad Request');
  assert.equal(problem.status, 400);
  assert.ok(problem.errors.length > 0, reply.text);
  for (const error of problem.errors) {
    assert.deepEqual(Object.keys(error), ['detail', 'in', 'name', 'rule'], reply.text);
    assert.ok(RULES.includes(error.rule), error.rule);
    assert.match(error.detail, /^(must|is) /);
  }
  const first = problem.errors[0]!;
  assert.ok(problem.detail.startsWith(`${first.in} parameter "${first.name}" ${first.detail}`), `detail reads the first error: ${problem.detail}`);
  const named = problem.errors.find((e) => e.in === where && e.name === name);
  assert.ok(named !== undefined, `${where} parameter "${name}" is not named in ${reply.text}`);
  if (rule !== undefined) assert.equal(named.rule, rule, reply.text);
  assert.doesNotMatch(reply.text, /\bat \S+ \(|\.[jt]s:\d+|node:internal|Error:/, 'no stack trace text');
  return problem;
}
