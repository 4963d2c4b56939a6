// Where a Redis server is and how to log in, from a redis:// or rediss:// URL. Errors name
// the problem but never repeat the URL: it may hold a password.
import { socketHost } from '../../platform/url-host.js';

export interface RedisTarget {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly db: number;
  /** Absent when the URL gives only a password (`redis://:pass@host`): the server's default user. */
  readonly username?: string;
  /** Present when the URL has credentials. */
  readonly password?: string;
}

const DEFAULT_PORT = 6379;
/** Redis' default `databases`; a server configured with more still accepts SELECT of those. */
const MAX_DB = 1_000_000;

/** Parses `redis://[user:pass@]host[:port][/db]` (`rediss://` for TLS); throws a clear Error otherwise. */
export function parseRedisUrl(text: string): RedisTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error('Redis URL is not a valid URL (expected redis://[user:password@]host:port/db)');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new Error(`Redis URL must start with redis:// or rediss://, not ${url.protocol}//`);
  }
  // URL keeps IPv6 hosts bracketed; net.connect wants them bare.
  const host = socketHost(url);
  if (host === '') throw new Error('Redis URL has no host');
  const port = url.port === '' ? DEFAULT_PORT : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error('Redis URL port must be 1..65535');
  if (url.search !== '' || url.hash !== '') throw new Error('Redis URL must not have a query or fragment');
  const db = parseDb(url.pathname);
  const base = { host, port, tls: url.protocol === 'rediss:', db };
  if (url.username === '' && url.password === '') return base;
  const username = decode(url.username, 'user name');
  const password = decode(url.password, 'password');
  if (password === '') throw new Error('Redis URL has a user name but no password');
  return username === '' ? { ...base, password } : { ...base, username, password };
}

function parseDb(pathname: string): number {
  if (pathname === '' || pathname === '/') return 0;
  const digits = pathname.slice(1);
  if (!/^\d{1,7}$/.test(digits) || Number(digits) > MAX_DB) {
    throw new Error(`Redis URL path must be a database number (/0, /1, ...), not ${JSON.stringify(pathname.slice(0, 20))}`);
  }
  return Number(digits);
}

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    // Not the part itself: it may be (part of) the password.
    throw new Error(`Redis URL ${what} has an invalid percent-escape`);
  }
}
