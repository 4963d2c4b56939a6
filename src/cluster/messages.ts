// The messages the cluster primary and its workers exchange over the IPC channel. Each
// carries a `turbina` tag so it cannot be mistaken for anything else on the channel.
import type { ClusterView, ProcessSnapshot } from '../metrics/snapshot.js';

/** Primary -> worker. */
export type ToWorker =
  | { readonly turbina: 'shutdown'; readonly signal: string }
  | { readonly turbina: 'snapshot-request'; readonly id: number }
  | { readonly turbina: 'gathered'; readonly id: number; readonly snapshots: readonly ProcessSnapshot[]; readonly view: ClusterView };

/** Worker -> primary. */
export type ToPrimary =
  | { readonly turbina: 'listening'; readonly port: number; readonly sockets: number }
  | { readonly turbina: 'gather'; readonly id: number }
  | { readonly turbina: 'snapshot'; readonly id: number; readonly snapshot: ProcessSnapshot };

/** The message, if it is one of ours. The channel carries only our own processes' data,
 *  so the tag is enough. */
export function asMessage<T extends { readonly turbina: string }>(value: unknown): T | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  return typeof (value as { turbina?: unknown }).turbina === 'string' ? (value as T) : undefined;
}

/** The environment variable that tells a worker its slot (0..WORKERS-1). */
export const WORKER_SLOT_ENV = 'TURBINA_WORKER_SLOT';

/** Set when the workers open their own sockets (SO_REUSEPORT): the port the primary found
 *  free, the same for all (PORT=0 picks one). Unset, the primary accepts round-robin. */
export const WORKER_PORT_ENV = 'TURBINA_WORKER_PORT';
