// parseRedisUrl: defaults, TLS, credentials percent-decoded, and errors that never repeat the password.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRedisUrl } from '../../../src/cache/redis/redis-url.js';

describe('parseRedisUrl', () => {
  test('host only: port 6379, db 0, no TLS, no credentials', () => {
    assert.deepEqual(parseRedisUrl('redis://cache.internal'), { host: 'cache.internal', port: 6379, tls: false, db: 0 });
  });

  test('rediss:// is TLS; port and db from the URL; IPv6 hosts unbracketed', () => {
    assert.deepEqual(parseRedisUrl('rediss://10.0.0.5:6380/3'), { host: '10.0.0.5', port: 6380, tls: true, db: 3 });
    assert.deepEqual(parseRedisUrl('redis://[::1]:7000/'), { host: '::1', port: 7000, tls: false, db: 0 });
  });

  test('credentials are percent-decoded; a password alone has no user name', () => {
    assert.deepEqual(parseRedisUrl('redis://app:p%40ss%3Aw%2Frd@h:1/2'), { host: 'h', port: 1, tls: false, db: 2, username: 'app', password: 'p@ss:w/rd' });
    assert.deepEqual(parseRedisUrl('redis://:secret@h'), { host: 'h', port: 6379, tls: false, db: 0, password: 'secret' });
  });

  test('clear errors, none of which contains the password', () => {
    const cases: [string, RegExp][] = [
      ['not a url s3cret', /not a valid URL/],
      ['http://u:s3cret@h', /must start with redis:\/\/ or rediss:\/\/, not http:/],
      ['redis://u:s3cret@h/x', /database number/],
      ['redis://u:s3cret@h/1/2', /database number/],
      ['redis://u:s3cret@h?db=1', /query or fragment/],
      ['redis://u:s3cr%ZZet@h', /password has an invalid percent-escape/],
      ['redis://u@h', /user name but no password/],
      ['redis://u:s3cret@h:0', /port must be 1\.\.65535/],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseRedisUrl(text), (error: Error) => {
        assert.match(error.message, message, text);
        assert.ok(!error.message.includes('s3cr'), `${text}: ${error.message}`);
        return true;
      });
    }
  });
});
