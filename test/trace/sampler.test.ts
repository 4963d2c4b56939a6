// The sampler: OTEL_TRACES_SAMPLER names and their errors, the parent-based branches, and
// the trace id ratio decision, which must match the OpenTelemetry Go SDK's bit for bit
// (checked against a BigInt transcription of it) so that services agree.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newTraceId } from '../../src/trace/ids.js';
import { createSampler, SAMPLER_NAMES } from '../../src/trace/sampler.js';

/** Go's TraceIDRatioBased: uint64(traceID[8:16]) >> 1 < uint64(fraction * 2^63). */
function goDecision(ratio: number, traceId: string): boolean {
  if (ratio >= 1) return true;
  const bound = BigInt(Math.floor(Math.max(ratio, 0) * 2 ** 63));
  return BigInt(`0x${traceId.slice(16)}`) >> 1n < bound;
}

const HIGH = '4bf92f3577b34da6';
const ids = Array.from({ length: 20_000 }, newTraceId);

describe('createSampler', () => {
  test('unset or empty is parentbased_always_on', () => {
    for (const name of [undefined, '', '  ']) {
      const sampler = createSampler(name, undefined);
      assert.equal(sampler.parentBased, true);
      assert.equal(sampler.ratio, 1);
      assert.equal(sampler.description, 'ParentBased{root=AlwaysOnSampler}');
    }
  });

  test('every spec name is accepted, case-insensitively and trimmed', () => {
    for (const name of SAMPLER_NAMES) {
      assert.equal(createSampler(name, undefined).parentBased, name.startsWith('parentbased_'), name);
      assert.equal(createSampler(` ${name.toUpperCase()} `, undefined).parentBased, name.startsWith('parentbased_'), name);
    }
    assert.equal(createSampler('traceidratio', '0.25').description, 'TraceIdRatioBased{0.25}');
    assert.equal(createSampler('parentbased_always_off', undefined).description, 'ParentBased{root=AlwaysOffSampler}');
  });

  test('an unknown name throws naming OTEL_TRACES_SAMPLER and the names it takes', () => {
    for (const name of ['always', 'jaeger_remote', 'parentbased_jaeger_remote', 'xray', 'parentbased_', 'traceidratio0.5']) {
      assert.throws(() => createSampler(name, undefined), (error: Error) => {
        assert.match(error.message, /OTEL_TRACES_SAMPLER must be one of always_on, always_off, traceidratio, parentbased_always_on/);
        assert.ok(error.message.includes(JSON.stringify(name)), error.message);
        return true;
      });
    }
  });

  test('the ratio: OTEL_TRACES_SAMPLER_ARG from 0 to 1, default 1; a bad one throws naming the variable', () => {
    assert.equal(createSampler('traceidratio', undefined).ratio, 1);
    assert.equal(createSampler('traceidratio', '').ratio, 1);
    assert.equal(createSampler('parentbased_traceidratio', ' 0.01 ').ratio, 0.01);
    assert.equal(createSampler('traceidratio', '0').ratio, 0);
    assert.equal(createSampler('traceidratio', '1').ratio, 1);
    assert.equal(createSampler('traceidratio', '1e-3').ratio, 0.001);
    for (const arg of ['-0.1', '1.5', 'abc', '0.5abc', 'NaN', 'Infinity', '50%']) {
      assert.throws(() => createSampler('traceidratio', arg), /OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1/, arg);
    }
    // The others ignore the argument, as the spec says.
    assert.equal(createSampler('always_on', 'abc').ratio, 1);
  });
});

describe('Sampler.sample', () => {
  test('always_on and always_off ignore the parent', () => {
    const on = createSampler('always_on', undefined);
    const off = createSampler('always_off', undefined);
    for (const parent of [true, false, undefined]) {
      assert.equal(on.sample(parent, ids[0] as string), true);
      assert.equal(off.sample(parent, ids[0] as string), false);
    }
  });

  test('parent-based samplers follow the parent when there is one, else their root', () => {
    for (const name of ['parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio']) {
      const sampler = createSampler(name, '0');
      assert.equal(sampler.sample(true, ids[0] as string), true, name);
      assert.equal(sampler.sample(false, ids[0] as string), false, name);
    }
    assert.equal(createSampler('parentbased_always_on', undefined).sample(undefined, ids[0] as string), true);
    assert.equal(createSampler('parentbased_always_off', undefined).sample(undefined, ids[0] as string), false);
    const none = createSampler('parentbased_traceidratio', '0');
    const all = createSampler('parentbased_traceidratio', '1');
    assert.ok(ids.every((id) => !none.sample(undefined, id) && all.sample(undefined, id)));
  });

  test('traceidratio ignores the parent; ratio 0 keeps none, 1 keeps all', () => {
    const none = createSampler('traceidratio', '0');
    const all = createSampler('traceidratio', '1');
    for (const id of ids) {
      assert.equal(none.sample(true, id), false);
      assert.equal(all.sample(false, id), true);
    }
  });

  test('ratio 0.5 keeps about half of random ids, 0.01 about 1%', () => {
    const half = createSampler('traceidratio', '0.5');
    const kept = ids.filter((id) => half.sample(undefined, id)).length;
    // 20 000 fair draws: the standard deviation is about 71; 6 of them is about 430.
    assert.ok(Math.abs(kept - 10_000) < 430, `kept ${kept} of 20000`);
    const onePercent = createSampler('traceidratio', '0.01');
    const keptFew = ids.filter((id) => onePercent.sample(undefined, id)).length;
    assert.ok(keptFew > 120 && keptFew < 290, `kept ${keptFew} of 20000`);
  });

  test('the decision reads the last 16 hex digits only, and is the same every time', () => {
    const half = createSampler('traceidratio', '0.5');
    // ratio 0.5: kept exactly when the last 8 bytes are below 2^63.
    assert.equal(half.sample(undefined, `${HIGH}7fffffffffffffff`), true);
    assert.equal(half.sample(undefined, `${HIGH}8000000000000000`), false);
    assert.equal(half.sample(undefined, `ffffffffffffffff7fffffffffffffff`), true);
    assert.equal(half.sample(undefined, `00000000000000018000000000000000`), false);
    for (const id of ids.slice(0, 1000)) assert.equal(half.sample(undefined, id), half.sample(undefined, id));
  });

  test('agrees with the Go SDK on random ids and at the edges of the bound, at many ratios', () => {
    const ratios = [1e-9, 0.001, 0.01, 0.1, 0.25, 1 / 3, 0.5, 0.7, 0.9, 0.999999, 1 - 2 ** -40];
    const edges: string[] = [];
    for (const ratio of ratios) {
      const bound = BigInt(Math.floor(ratio * 2 ** 63));
      // The ids whose (x >> 1) is bound - 1, bound, bound + 1: x = 2b - 2 .. 2b + 3.
      for (let d = -2n; d <= 3n; d++) edges.push(`${HIGH}${(2n * bound + d).toString(16).padStart(16, '0')}`);
    }
    edges.push(`${HIGH}0000000000000000`, `${HIGH}0000000000000001`, `${HIGH}ffffffffffffffff`, `${HIGH}fffffffffffffffe`);
    for (const ratio of ratios) {
      const sampler = createSampler('traceidratio', String(ratio));
      for (const id of [...edges, ...ids.slice(0, 2000)]) {
        if (sampler.sample(undefined, id) !== goDecision(ratio, id)) assert.fail(`ratio ${ratio}, id ${id}: not Go's decision`);
      }
    }
  });
});
