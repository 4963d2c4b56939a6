// Test helper: the app with tracing on, started as the real server starts it (app.start(),
// so app.stop() runs the shutdown and flushes the exporter), on a free loopback port,
// exporting to a test collector, its log lines captured.
import { createApp, type App } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { Logger } from '../../src/log/logger.js';
import type { Collector } from './collector.js';

export interface TracedApp {
  readonly app: App;
  readonly port: number;
  /** The log lines written so far, parsed. */
  logs(): Record<string, unknown>[];
}

/** A traced app exporting to `collector`; a quick shutdown unless `overrides` say otherwise. */
export async function startTracedApp(collector: Collector, overrides: Partial<Config> = {}): Promise<TracedApp> {
  const chunks: string[] = [];
  const logger = new Logger('info', (chunk) => chunks.push(chunk.toString()));
  const app = createApp(
    {
      port: 0,
      host: '127.0.0.1',
      storeLatencyMs: 0,
      listenSockets: 1,
      drainDelayMs: 0,
      shutdownIdleMs: 0,
      shutdownTimeoutMs: 2000,
      otlpEndpoint: `http://127.0.0.1:${collector.port}`,
      ...overrides,
    },
    { logger },
  );
  const port = await app.start();
  const logs = (): Record<string, unknown>[] => {
    logger.flush();
    return chunks
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  };
  return { app, port, logs };
}
