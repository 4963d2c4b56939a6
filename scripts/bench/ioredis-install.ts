// ioredis for the node-ioredis peer: installed by the bench into a cache folder outside the
// project, the way .ci/run installs Node binaries, so it never becomes a dependency.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const IOREDIS_VERSION = '6.0.0';

/** ~/.cache/turbina-peers/ioredis-<version> (TURBINA_PEERS_CACHE moves ~/.cache/turbina-peers). */
export function ioredisDir(): string {
  const cache = process.env['TURBINA_PEERS_CACHE'] ?? join(homedir(), '.cache', 'turbina-peers');
  return join(cache, `ioredis-${IOREDIS_VERSION}`);
}

/** The package's entry point, as the peer imports it. */
export function ioredisEntry(dir = ioredisDir()): string {
  return join(dir, 'node_modules', 'ioredis', 'built', 'index.js');
}

export function ioredisInstallArgs(dir = ioredisDir()): string[] {
  return ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `ioredis@${IOREDIS_VERSION}`];
}

/** Installs it unless it is there; undefined when ready, otherwise why not and the command. */
export function ensureIoredis(dir = ioredisDir()): string | undefined {
  if (existsSync(ioredisEntry(dir))) return undefined;
  try {
    execFileSync('npm', ioredisInstallArgs(dir), { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
  } catch {
    // Falls through to the check below, which names the command.
  }
  return existsSync(ioredisEntry(dir)) ? undefined : `ioredis could not be installed (npm ${ioredisInstallArgs(dir).join(' ')})`;
}
