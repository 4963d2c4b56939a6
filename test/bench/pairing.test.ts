// --paired: which target is loaded beside which. A single process beside bare node:http,
// a cluster beside the bare node:http cluster, baselines are never targets themselves, and
// a choice without a target's baseline is refused with the name to add.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { baselineOf, planPairs } from '../../scripts/bench/pairing.js';
import { settingsOf, TARGETS, type Target } from '../../scripts/bench/targets.js';

function chosen(...names: string[]): Target[] {
  return names.map((name) => {
    const target = TARGETS.find((t) => t.name === name);
    assert.ok(target !== undefined, `no target ${name}`);
    return target;
  });
}

function pairNames(names: string[]): string[] {
  const plan = planPairs(chosen(...names));
  assert.ok('pairs' in plan, JSON.stringify(plan));
  return plan.pairs.map((p) => `${p.target.name} + ${p.base.name}`);
}

test('the targets as defined: clusters beside the bare cluster, the rest beside bare node:http', () => {
  assert.equal(baselineOf(chosen('turbina')[0]!), 'node-bare');
  assert.equal(baselineOf(chosen('go')[0]!), 'node-bare');
  assert.equal(baselineOf(chosen('turbina-cluster')[0]!), 'node-bare-cluster');
  assert.equal(baselineOf(chosen('node-bare-cluster-tuned')[0]!), 'node-bare-cluster');
  // A cluster and its baseline have the same number of workers.
  const [cluster, bareCluster] = chosen('turbina-cluster', 'node-bare-cluster');
  assert.ok(cluster?.workers !== undefined && cluster.workers > 1);
  assert.equal(cluster.workers, bareCluster?.workers);
});

test('every target that is not a baseline, with its own baseline, in the order chosen', () => {
  assert.deepEqual(pairNames(['turbina', 'node-bare', 'turbina-cluster', 'node-bare-cluster', 'node-bare-cluster-tuned', 'node-bare-tuned']), [
    'turbina + node-bare',
    'turbina-cluster + node-bare-cluster',
    'node-bare-cluster-tuned + node-bare-cluster',
    'node-bare-tuned + node-bare',
  ]);
  // The bare cluster is a baseline only: it is never compared with bare node:http.
  assert.deepEqual(pairNames(['node-bare', 'node-bare-cluster', 'turbina']), ['turbina + node-bare']);
});

test('a target without its baseline is refused, naming the baseline to add', () => {
  const missing = planPairs(chosen('turbina-cluster', 'node-bare'));
  assert.ok('error' in missing);
  assert.match(missing.error, /turbina-cluster with node-bare-cluster: include node-bare-cluster in --targets/);
  const single = planPairs(chosen('turbina'));
  assert.ok('error' in single);
  assert.match(single.error, /include node-bare in --targets/);
});

test('baselines alone have nothing to compare', () => {
  const plan = planPairs(chosen('node-bare', 'node-bare-cluster'));
  assert.ok('error' in plan);
  assert.match(plan.error, /baselines only/);
});

test('an A/B of two checkouts: turbina-base beside turbina, which then needs no bare peer', () => {
  assert.deepEqual(pairNames(['turbina', 'turbina-base']), ['turbina-base + turbina']);
  assert.deepEqual(pairNames(['turbina', 'turbina-base', 'node-bare']), ['turbina + node-bare', 'turbina-base + turbina']);
});

test('turbina-with reads its settings from TURBINA_ENV as NAME=value pairs', () => {
  assert.deepEqual(settingsOf('RATE_LIMIT_RPS=1000000  MAX_IN_FLIGHT=0'), { RATE_LIMIT_RPS: '1000000', MAX_IN_FLIGHT: '0' });
  assert.deepEqual(settingsOf(''), {});
  assert.equal(settingsOf('RATE_LIMIT_RPS'), undefined);
  assert.equal(settingsOf('rate=1'), undefined);
  assert.deepEqual(pairNames(['turbina', 'turbina-with']), ['turbina-with + turbina']);
});
