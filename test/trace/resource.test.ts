// The resource: OTEL_RESOURCE_ATTRIBUTES parsed (percent-decoding, trimming, errors naming
// the variable) and the attributes every span's resource carries, with service.name's order.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { packageVersion, parseResourceAttributes, resourceAttributes } from '../../src/trace/resource.js';

describe('parseResourceAttributes', () => {
  test('unset or empty -> no attributes', () => {
    assert.deepEqual(parseResourceAttributes(undefined), {});
    assert.deepEqual(parseResourceAttributes(''), {});
    assert.deepEqual(parseResourceAttributes(' , '), {});
  });

  test('key=value pairs, whitespace around keys and values trimmed, empty members skipped', () => {
    assert.deepEqual(parseResourceAttributes('deployment.environment=prod, service.namespace = shop ,,team='), {
      'deployment.environment': 'prod',
      'service.namespace': 'shop',
      team: '',
    });
  });

  test('values are percent-decoded ("+" stays "+"), and may hold "="', () => {
    assert.deepEqual(parseResourceAttributes('a=hello%20world%2C%20ok,b=x+y,c=caf%C3%A9,d=k%3Dv,e=k=v'), {
      a: 'hello world, ok',
      b: 'x+y',
      c: 'café',
      d: 'k=v',
      e: 'k=v',
    });
  });

  test('a later key wins', () => {
    assert.deepEqual(parseResourceAttributes('a=1,a=2'), { a: '2' });
  });

  test('a member without "=" or without a key throws naming OTEL_RESOURCE_ATTRIBUTES', () => {
    for (const raw of ['novalue', 'a=1,broken', '=1', ' =1', 'a=1, = x']) {
      assert.throws(() => parseResourceAttributes(raw), /^Error: OTEL_RESOURCE_ATTRIBUTES must be key=value pairs separated by commas/, raw);
    }
  });

  test('a bad percent escape throws naming the variable and the key', () => {
    for (const raw of ['a=%', 'a=%zz', 'a=100%', 'a=%C3']) {
      assert.throws(() => parseResourceAttributes(raw), /^Error: OTEL_RESOURCE_ATTRIBUTES: the value of a has a bad percent escape/, raw);
    }
  });
});

describe('resourceAttributes', () => {
  test('the process describes itself; service.name defaults to turbina', () => {
    const attributes = resourceAttributes();
    assert.deepEqual(attributes, {
      'service.version': packageVersion(),
      'telemetry.sdk.name': 'turbina',
      'telemetry.sdk.language': 'nodejs',
      'process.pid': process.pid,
      'host.name': hostname(),
      'service.name': 'turbina',
    });
    assert.match(String(attributes['service.version']), /^\d+\.\d+\.\d+/);
  });

  test('service.name: OTEL_SERVICE_NAME, else the one in OTEL_RESOURCE_ATTRIBUTES, else turbina', () => {
    const raw = 'service.name=from-raw';
    assert.equal(resourceAttributes({ serviceName: 'from-env', raw })['service.name'], 'from-env');
    assert.equal(resourceAttributes({ serviceName: '', raw })['service.name'], 'from-raw');
    assert.equal(resourceAttributes({ serviceName: '  ', raw })['service.name'], 'from-raw');
    assert.equal(resourceAttributes({ raw })['service.name'], 'from-raw');
    assert.equal(resourceAttributes({ serviceName: undefined, raw: 'service.name=' })['service.name'], 'turbina');
  });

  test('OTEL_RESOURCE_ATTRIBUTES adds attributes and overrides the process\'s own', () => {
    const attributes = resourceAttributes({
      raw: 'service.version=2.0.0-rc1,host.name=web-1,deployment.environment=staging',
      pid: 42,
      hostName: 'box',
      serviceVersion: '1.0.0',
    });
    assert.equal(attributes['service.version'], '2.0.0-rc1');
    assert.equal(attributes['host.name'], 'web-1');
    assert.equal(attributes['deployment.environment'], 'staging');
    assert.equal(attributes['process.pid'], 42);
  });

  test('a bad OTEL_RESOURCE_ATTRIBUTES throws from resourceAttributes too', () => {
    assert.throws(() => resourceAttributes({ raw: 'oops' }), /OTEL_RESOURCE_ATTRIBUTES/);
  });
});

describe('packageVersion', () => {
  test('walks up to turbina\'s package.json, past others; undefined when there is none', () => {
    const root = mkdtempSync(join(tmpdir(), 'turbina-resource-'));
    try {
      const deep = join(root, 'a', 'b', 'c');
      mkdirSync(deep, { recursive: true });
      assert.equal(packageVersion(deep), undefined);
      writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'turbina', version: '9.8.7' }));
      writeFileSync(join(root, 'a', 'package.json'), JSON.stringify({ name: 'someone-else', version: '1.1.1' }));
      writeFileSync(join(root, 'a', 'b', 'package.json'), '{ not json');
      assert.equal(packageVersion(deep), '9.8.7');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
