// The bare node:http peer's cluster primary (WORKERS > 1): it forks the workers, each
// numbered in its environment, and does nothing per request, so a bare cluster costs what
// its workers cost. It neither restarts workers nor drains: a worker that exits ends the
// group (the bench then sees the target die), and SIGTERM ends the primary, whose workers
// exit when their IPC channel closes.
import cluster from 'node:cluster';

export function forkWorkers(count: number, workerEnv: string): void {
  for (let n = 1; n <= count; n++) cluster.fork({ [workerEnv]: String(n) });
  cluster.on('exit', (_worker, code) => process.exit(code === 0 ? 0 : 1));
}
