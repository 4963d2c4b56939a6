// How the process exits once it has decided to: after its last log lines are out.

/** Exits once stdout has taken everything written (at most maxWaitMs later): a pipe whose
 *  reader is slow makes Node queue the writes, and exiting at once would drop them. */
export function exitAfterStdout(code: number, maxWaitMs = 2000): void {
  process.exitCode = code;
  if (process.stdout.writableLength === 0) process.exit(code);
  setTimeout(() => process.exit(code), maxWaitMs).unref();
  process.stdout.once('drain', () => process.exit(code));
  process.stdout.once('error', () => process.exit(code));
}
