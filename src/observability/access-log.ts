// One JSON line per finished request, appended to the logger's batch by concatenation.
import type { RequestContext } from '../http/context.js';
import { jsonString, type Logger } from './logger.js';

const INFO = 30;

export class AccessLog {
  constructor(private readonly logger: Logger) {}

  record(ctx: RequestContext, durationMs: number): void {
    if (!this.logger.enabled(INFO)) return;
    // Only the path can hold characters JSON must escape: request ids are generated or
    // pass RequestIds' SANE_ID check, llhttp accepts only token characters in methods,
    // and the remote is an IP address.
    let fields =
      ',"reqId":"' + ctx.id +
      '","method":"' + ctx.method +
      '","path":' + jsonString(ctx.path) +
      ',"status":' + ctx.status +
      ',"durationMs":' + Math.round(durationMs * 1000) / 1000 +
      ',"bytes":' + ctx.bytes;
    if (ctx.cache !== '') fields += ',"cache":"' + ctx.cache + '"';
    const remote = ctx.remote;
    if (remote !== undefined) fields += ',"remote":"' + remote + '"';
    this.logger.writeRaw(INFO, '"request"', fields);
  }
}
