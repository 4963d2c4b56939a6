// The logger a server writes with: JSON lines to stdout through a bounded queue, so a
// stuck reader costs dropped (and counted) lines, never memory or a blocked event loop.
import { BoundedLogOutput } from './log-output.js';
import type { LogLevel } from './levels.js';
import { Logger } from './logger.js';

export interface StdoutLogger {
  readonly logger: Logger;
  /** Lines dropped and bytes queued, for /metrics. */
  readonly output: BoundedLogOutput;
}

/** LOG_LEVEL and LOG_QUEUE_BYTES. */
export interface StdoutLoggerSettings {
  readonly logLevel: LogLevel;
  readonly logQueueBytes: number;
}

export function stdoutLogger(config: StdoutLoggerSettings): StdoutLogger {
  const output = new BoundedLogOutput(process.stdout, config.logQueueBytes);
  const logger = new Logger(config.logLevel, output.sink);
  output.warnWith((dropped) => logger.line(40, 'log output was blocked: lines dropped', { dropped, logQueueBytes: config.logQueueBytes }));
  return { logger, output };
}
