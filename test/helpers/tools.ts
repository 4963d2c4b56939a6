// Tests that drive an outside tool (curl, go, promtool, wrk, taskset) skip where it is
// missing, naming the command that installs it; in CI they run (and fail) instead:
// .ci/run installs the tools, and a skip there would hide a test that never ran.
import { execFileSync } from 'node:child_process';

const IN_CI = (process.env['CI'] ?? '') !== '' && process.env['CI'] !== 'false';

/** Whether `command args` runs and exits 0 (e.g. `go version`). */
export function hasCommand(command: string, args: readonly string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** node:test's `skip` option: false when the tool is there or in CI, else why and how to install it. */
export function skipWithout(present: boolean, tool: string, install: string): false | string {
  return present || IN_CI ? false : `${tool} is not installed (${install})`;
}
