// The inventory service's knobs as the three ways in read them: environment variables,
// flags (a flag wins) and PUT /_control bodies (any subset, nothing unknown, nothing
// out of range), and the environment the test helper builds from them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyControl, DEFAULT_KNOBS, KnobError, knobsToEnv, startOptions, type Knobs } from '../../scripts/upstream/knobs.js';

describe('inventory knobs at start', () => {
  it('defaults to port 9000 on loopback, 10000 products and no faults', () => {
    assert.deepEqual(startOptions([], {}), { port: 9000, host: '127.0.0.1', catalogSize: 10_000, knobs: DEFAULT_KNOBS, help: false });
  });

  it('reads every knob from the environment and lets a flag win', () => {
    const env = { LATENCY_MS: '20', JITTER_MS: '5.5', ERROR_RATE: '0.25', ERROR_STATUS: '429', HANG_RATE: '0.1', RETRY_AFTER: '3', GARBAGE_RATE: '1', DRIP_MS: '7', DOWN: '1', PORT: '0', CATALOG_SIZE: '5' };
    const started = startOptions(['--error-status', '500', '--retry-after', 'Wed, 21 Oct 2015 07:28:00 GMT', '--host', '0.0.0.0'], env);
    assert.deepEqual(started.knobs, {
      latencyMs: 20, jitterMs: 5.5, errorRate: 0.25, errorStatus: 500, hangRate: 0.1,
      retryAfter: 'Wed, 21 Oct 2015 07:28:00 GMT', garbageRate: 1, dripMs: 7, down: true,
    });
    assert.equal(started.port, 0);
    assert.equal(started.host, '0.0.0.0');
    assert.equal(started.catalogSize, 5);
    assert.equal(startOptions(['--down'], {}).knobs.down, true);
    assert.equal(startOptions([], { DOWN: 'false' }).knobs.down, false);
    // Empty is not given, as turbina reads its own options.
    assert.deepEqual(startOptions([], { RETRY_AFTER: '', LATENCY_MS: '', DOWN: '', PORT: '' }), startOptions([], {}));
  });

  it('refuses a bad value, naming where it came from', () => {
    const refused = (args: string[], env: Record<string, string>, source: string): void =>
      assert.throws(() => startOptions(args, env), (error: unknown) => error instanceof KnobError && error.message.startsWith(source), source);
    refused([], { ERROR_RATE: '1.5' }, 'ERROR_RATE');
    refused([], { LATENCY_MS: ' ' }, 'LATENCY_MS');
    refused([], { LATENCY_MS: '-1' }, 'LATENCY_MS');
    refused(['--error-status', '200'], {}, '--error-status');
    refused(['--error-status', '503.5'], {}, '--error-status');
    refused([], { DOWN: 'yes' }, 'DOWN');
    refused([], { PORT: '70000' }, 'PORT');
    refused(['--hang-rate', 'x'], { HANG_RATE: '0' }, '--hang-rate');
    assert.throws(() => startOptions(['--nope'], {}), KnobError);
  });

  it('gives the helper an environment that starts the service with exactly those knobs', () => {
    const knobs: Knobs = { latencyMs: 3, jitterMs: 0.5, errorRate: 0.125, errorStatus: 502, hangRate: 0, retryAfter: '1', garbageRate: 0.5, dripMs: 2, down: true };
    assert.deepEqual(startOptions([], knobsToEnv(knobs)).knobs, knobs);
    assert.deepEqual(startOptions([], knobsToEnv({ retryAfter: null, down: false })).knobs, DEFAULT_KNOBS);
  });
});

describe('inventory knobs at run time', () => {
  it('changes any subset and keeps the rest', () => {
    const next = applyControl(DEFAULT_KNOBS, { errorRate: 1, retryAfter: 'soon', down: true });
    assert.deepEqual(next, { ...DEFAULT_KNOBS, errorRate: 1, retryAfter: 'soon', down: true });
    assert.deepEqual(applyControl(next, { retryAfter: null, errorRate: 0, down: false }), DEFAULT_KNOBS);
    assert.deepEqual(applyControl(next, {}), next);
  });

  it('refuses unknown knobs, wrong types and values out of range', () => {
    for (const body of [null, [], 'x', { nope: 1 }, { errorRate: 2 }, { errorRate: '0.5' }, { errorStatus: 302 }, { latencyMs: -1 }, { retryAfter: 5 }, { retryAfter: 'a\nb' }, { down: 1 }]) {
      assert.throws(() => applyControl(DEFAULT_KNOBS, body), KnobError, JSON.stringify(body));
    }
  });
});
