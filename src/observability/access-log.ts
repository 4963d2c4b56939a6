// One JSON line per finished request, appended to the logger's batch by concatenation.
import type { RequestContext } from '../http/context.js';
import { jsonString, type Logger } from './logger.js';

const INFO = 30;

export class AccessLog {
  constructor(private readonly logger: Logger) {}

  get enabled(): boolean {
    return this.logger.enabled(INFO);
  }

  record(ctx: RequestContext, durationMs: number): void {
    if (!this.logger.enabled(INFO)) return;
    let fields =
      ',"reqId":' + jsonString(ctx.id) +
      ',"method":' + jsonString(ctx.method) +
      ',"path":' + jsonString(ctx.path) +
      ',"status":' + ctx.status +
      ',"durationMs":' + Math.round(durationMs * 1000) / 1000 +
      ',"bytes":' + ctx.bytes;
    if (ctx.cache !== '') fields += ',"cache":"' + ctx.cache + '"';
    if (ctx.remote !== undefined) fields += ',"remote":' + jsonString(ctx.remote);
    this.logger.writeRaw(INFO, 'request', fields);
  }
}
