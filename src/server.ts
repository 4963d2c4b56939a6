// Entry point: read the config, build the app, listen, and wire signals to a graceful
// shutdown. `node dist/server.js --help` lists every option.
import { createApp } from './app.js';
import { ConfigError, loadConfig, loggableConfig, type Config } from './config.js';
import { Shutdown } from './lifecycle/shutdown.js';
import { Logger, stdoutSink } from './observability/logger.js';

function readConfig(): Config | undefined {
  try {
    const result = loadConfig(process.argv.slice(2), process.env);
    if (result.kind === 'help') {
      process.stdout.write(result.text);
      return undefined;
    }
    return result.config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`turbina: ${error.message}\n`);
    process.exit(2);
  }
}

function main(): void {
  const config = readConfig();
  if (config === undefined) return;
  const logger = new Logger(config.logLevel, stdoutSink());
  const app = createApp(config, { logger });
  const shutdown = new Shutdown(app, (code) => process.exit(code));

  const fatal = (msg: string) => (error: unknown) => {
    logger.error(msg, { err: error instanceof Error ? error : String(error) });
    logger.flush();
    process.exit(1);
  };
  process.on('uncaughtException', fatal('uncaught exception'));
  process.on('unhandledRejection', fatal('unhandled promise rejection'));
  process.on('SIGTERM', () => shutdown.begin('SIGTERM'));
  process.on('SIGINT', () => shutdown.begin('SIGINT'));

  app.server.once('error', (error: NodeJS.ErrnoException) => {
    process.stderr.write(`turbina: cannot listen on ${config.host}:${config.port}: ${error.code ?? error.message}\n`);
    fatal('cannot listen')(error);
  });
  // Node's default backlog is 511: past that, a burst of connections (wrk -c1000) overflows
  // the accept queue and the dropped handshakes retransmit for seconds. Go asks for
  // net.core.somaxconn; so do we, by default.
  app.server.listen({ port: config.port, host: config.host, backlog: config.listenBacklog }, () => {
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    logger.info('listening', {
      url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
      port,
      node: process.version,
      config: loggableConfig(config),
    });
  });
}

main();
