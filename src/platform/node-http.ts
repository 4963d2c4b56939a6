// node:http's values, loaded with require rather than an ESM import. An ESM import of a
// built-in builds its namespace by reading every export, and node:http's include (Node
// 22 and later) the lazy WebSocket, CloseEvent and MessageEvent getters: reading them
// loads undici, and with it http2 and tls, for classes this server never uses. That
// was most of the start-up time of a module graph this size (scripts/bench/README.md).
// Types still come from `import type` of node:http, which loads nothing.
import type { Agent as HttpAgent, AgentOptions, ClientRequest, RequestOptions } from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const http = require('node:http') as typeof import('node:http');

export const { Agent, createServer, request, ServerResponse, STATUS_CODES, validateHeaderName, validateHeaderValue } = http;

/** node:https, loaded only by what needs it: it brings tls with it. */
export function loadHttps(): typeof import('node:https') {
  return require('node:https') as typeof import('node:https');
}

/** A keep-alive client for one origin: its Agent and the request function of its scheme. */
export interface OriginClient {
  readonly agent: HttpAgent;
  readonly send: (options: RequestOptions) => ClientRequest;
}

/** node:http's client for http:, node:https's (loaded only then) for https:. */
export function originClient(protocol: string, agentOptions: AgentOptions): OriginClient {
  if (protocol !== 'https:') return { agent: new Agent(agentOptions), send: request };
  const https = loadHttps();
  return { agent: new https.Agent(agentOptions), send: (options) => https.request(options) };
}
