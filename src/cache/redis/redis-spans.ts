// CLIENT spans for the Redis commands a request waits on or causes, named as the
// OpenTelemetry database conventions name them: the command as the span's name,
// db.system.name, db.operation.name, db.namespace (the database index), server.address and
// server.port. Never the key or the value (db.query.text is opt-in, and a key may carry a
// client's input); never the URL's credentials.
import type { Span } from '../../trace/tracer.js';
import { RedisClientError } from './redis-client.js';
import type { RedisTarget } from './redis-url.js';
import { RedisError } from './resp-types.js';

/** Set on a GET's span: whether Redis held a value (a deleted key's empty tombstone is no hit). */
export const CACHE_HIT = 'turbina.cache.hit';

export class RedisSpans {
  private readonly namespace: string;

  constructor(private readonly target: RedisTarget) {
    this.namespace = String(target.db);
  }

  /** A span for `command` under the request's span; undefined when the trace is not
   *  sampled (no context goes to Redis, so an unsampled child would carry nothing). */
  start(parent: Span, command: string): Span | undefined {
    if (!parent.sampled) return undefined;
    return parent
      .child(command, 'client')
      .set('db.system.name', 'redis')
      .set('db.operation.name', command)
      .set('db.namespace', this.namespace)
      .set('server.address', this.target.host)
      .set('server.port', this.target.port);
  }

  /** The command failed: a server's error reply (its code), or no reply at all (timeout,
   *  connection lost, queue full, down, closed). */
  failed(span: Span, error: unknown): void {
    if (error instanceof RedisError) {
      span.set('db.response.status_code', error.code).set('error.type', error.code);
    } else {
      span.set('error.type', error instanceof RedisClientError ? error.kind : error instanceof Error ? error.name : '_OTHER');
    }
    span.fail(error instanceof Error ? error.message : String(error)).end();
  }

  /** The command was not sent: Redis is not connected (`state`), or its breaker is open. */
  skipped(span: Span, reason: 'breaker-open' | 'connecting' | 'down' | 'closed'): void {
    const message = reason === 'breaker-open' ? 'not sent: the Redis circuit breaker is open' : `not sent: Redis is ${reason}`;
    span.set('error.type', reason).fail(message).end();
  }
}
