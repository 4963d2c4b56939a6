// What differs between the Node versions turbina runs on (20 through 26), in one place:
// each feature newer than Node 20 is checked here at run time, and typed here, since
// @types/node is Node 20's and knows nothing of it. Everything else imports the result.
import type { Server, ServerOptions } from 'node:http';
import type { ListenOptions } from 'node:net';
import type { Transform } from 'node:stream';
import zlib from 'node:zlib';

export type ZstdCallback = (error: Error | null, result: Buffer) => void;

export interface ZstdOptions {
  readonly params: Record<number, number>;
  readonly chunkSize?: number;
}

/** The part of node:zlib that compresses zstd. */
export interface ZstdApi {
  zstdCompress(body: Buffer, options: ZstdOptions, callback: ZstdCallback): void;
  createZstdCompress(options: ZstdOptions): Transform;
  readonly constants: { readonly ZSTD_c_compressionLevel: number };
}

function hasZstd(z: typeof zlib): z is typeof zlib & ZstdApi {
  return (
    typeof Reflect.get(z, 'zstdCompress') === 'function' &&
    typeof Reflect.get(z, 'createZstdCompress') === 'function' &&
    typeof Reflect.get(z.constants, 'ZSTD_c_compressionLevel') === 'number'
  );
}

/** node:zlib where it compresses zstd (Node 22.15 and 23.8); older Nodes have gzip and brotli only: undefined. */
export const zlibZstd: ZstdApi | undefined = hasZstd(zlib) ? zlib : undefined;

/** listen()'s options with `reusePort` (Node 22.12 and 23.1; older Nodes ignore it). */
export interface ReusePortListenOptions extends ListenOptions {
  readonly reusePort?: boolean;
}

/** Whether `listen({ reusePort })` opens SO_REUSEPORT sockets: Node 22.12 and 23.1 on Linux,
 *  which balances connections over them (older Nodes and other systems: one socket). */
export function reusePortSupported(version: string = process.versions.node, platform: string = process.platform): boolean {
  if (platform !== 'linux') return false;
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/** createServer's options with `optimizeEmptyRequests` (Node 24.12; older Nodes ignore it). */
export interface HttpServerOptions extends ServerOptions {
  readonly optimizeEmptyRequests?: boolean;
}

/** Lets a client half-close after its request (shutdown(SHUT_WR)) and still get its answer,
 *  as from nginx or Go: node:http would otherwise end the socket at the client's FIN and
 *  drop responses still being made; it ends the socket once they are written.
 *  `httpAllowHalfOpen` is an undocumented http.Server field on every Node (since 0.x), not in @types/node. */
export function allowHalfOpen(server: Server): void {
  Object.assign(server, { httpAllowHalfOpen: true });
}
