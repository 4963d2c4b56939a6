// Accept negotiation: q-values, specificity, wildcards, refusals.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { preferredMediaType } from '../../src/http/accept.js';

const OFFERS = ['application/json', 'text/plain', 'application/openmetrics-text'];

test('preferredMediaType picks by q-value, then specificity, then offer order', () => {
  assert.equal(preferredMediaType(undefined, OFFERS), 'application/json');
  assert.equal(preferredMediaType('', OFFERS), 'application/json');
  assert.equal(preferredMediaType('*/*', OFFERS), 'application/json');
  assert.equal(preferredMediaType('text/plain', OFFERS), 'text/plain');
  assert.equal(preferredMediaType('TEXT/Plain; version=0.0.4', OFFERS), 'text/plain');
  assert.equal(preferredMediaType('text/plain, */*', OFFERS), 'text/plain');
  assert.equal(preferredMediaType('text/plain;q=0.5, application/json', OFFERS), 'application/json');
  assert.equal(preferredMediaType('application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1', OFFERS), 'application/openmetrics-text');
  assert.equal(preferredMediaType('text/*;q=0.9, */*;q=0.8', OFFERS), 'text/plain');
  assert.equal(preferredMediaType('application/json;q=0, */*', OFFERS), 'text/plain');
  assert.equal(preferredMediaType('image/png', OFFERS), undefined);
  assert.equal(preferredMediaType('text/plain;q=abc', OFFERS), undefined);
  assert.equal(preferredMediaType('garbage, ,;', OFFERS), undefined);
});
