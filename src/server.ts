// The CLI entry: read the config, then either run the cluster primary (WORKERS > 1) or
// build the app, start it, and wire signals to its graceful stop (one process, or one
// cluster worker). It uses the public API (index.ts) as any program would.
// `node dist/server.js --help` lists every option.
// First, before anything queues a process.nextTick (settle-async-context.ts says why).
import './lifecycle/settle-async-context.js';
import cluster from 'node:cluster';
import { ClusterPrimary } from './cluster/primary.js';
import { WorkerLink } from './cluster/worker.js';
import { ConfigError, createApp, loadConfig, stdoutLogger, type Config, type Logger, type LogOutputStats } from './index.js';
import { exitAfterStdout } from './lifecycle/exit.js';
import { listeningFields } from './lifecycle/listening-line.js';

/** Each starts a graceful shutdown. SIGHUP too: a closed terminal or a supervisor sends
 *  it, and Node's default for it is to die at once with the last log lines unwritten. */
const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

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

function onFatal(logger: Logger, cleanup: () => void): void {
  const fatal = (msg: string) => (error: unknown) => {
    logger.error(msg, { err: error instanceof Error ? error : String(error) });
    logger.flush();
    cleanup();
    process.exit(1);
  };
  process.on('uncaughtException', fatal('uncaught exception'));
  process.on('unhandledRejection', fatal('unhandled promise rejection'));
}

function runPrimary(config: Config, logger: Logger, logOutput: LogOutputStats): void {
  const primary = new ClusterPrimary(config, logger, logOutput, exitAfterStdout);
  onFatal(logger, () => primary.abort());
  for (const signal of SHUTDOWN_SIGNALS) process.on(signal, () => primary.shutdown(signal));
  primary.start();
}

/** One process serving requests: the whole server, or a cluster worker (with `link`). */
function runServer(config: Config, logger: Logger, logOutput: LogOutputStats, link: WorkerLink | undefined): void {
  const app = createApp(config, { logger, logOutput, ...(link ? { cluster: link } : {}) });
  // Every signal goes to stop(): the first drains, a second cuts the shutdown short.
  // stop() returns the same promise every time (it never rejects): the exit is arranged once.
  let exitArranged = false;
  const stop = (reason: string): void => {
    const over = app.stop(reason);
    if (exitArranged) return;
    exitArranged = true;
    void over.then(exitAfterStdout);
  };
  // The primary's message is not a second signal (Ctrl-C reaches the workers directly too).
  link?.attach(app, (reason) => {
    if (!app.lifecycle.draining) stop(reason);
  });
  onFatal(logger, () => {});
  for (const signal of SHUTDOWN_SIGNALS) process.on(signal, () => stop(signal));

  // Node's default backlog is 511: past that, a burst of connections (wrk -c1000) overflows
  // the accept queue and the dropped handshakes retransmit for seconds. Go asks for
  // net.core.somaxconn; so do we, by default. LISTEN_SOCKETS: see listeners.ts. A cluster
  // worker opens its own sockets on the port the primary chose, or (without SO_REUSEPORT)
  // shares the primary's.
  const roundRobin = link !== undefined && link.ownPort === undefined;
  app.start({ port: link?.ownPort ?? config.port, sockets: roundRobin ? 1 : config.listenSockets, worker: link?.ownPort !== undefined }).then(
    (port) => {
      if (link !== undefined) {
        // The primary says 'listening' once every worker does.
        logger.info('worker listening', { worker: link.slot, port, listenSockets: app.listeners.count });
        link.listening(port, app.listeners.count);
        return;
      }
      logger.info('listening', listeningFields(config, port, { listenSockets: app.listeners.count }));
    },
    (error: NodeJS.ErrnoException) => {
      process.stderr.write(`turbina: cannot listen on ${config.host}:${config.port}: ${error.code ?? error.message}\n`);
      logger.error('cannot listen', { err: error });
      logger.flush();
      process.exit(1);
    },
  );
}

function main(): void {
  const config = readConfig();
  if (config === undefined) return;
  const clustered = config.workers > 1;
  const { logger, output } = stdoutLogger(config);
  if (clustered && cluster.isPrimary) runPrimary(config, logger, output);
  else runServer(config, logger, output, clustered && cluster.isWorker ? new WorkerLink(config) : undefined);
}

main();
