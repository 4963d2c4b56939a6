// The fields of the 'listening' log line, built in one place for the single process and
// the cluster primary, so neither can log the config with its secrets in it.
import { loggableConfig, type Config } from '../config.js';
import type { LogFields } from '../log/json-fields.js';

/** url and port, then what only this mode knows (`details`), then node and the masked config. */
export function listeningFields(config: Config, port: number, details: LogFields): LogFields {
  const host = config.host;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    ...details,
    node: process.version,
    config: loggableConfig(config),
  };
}
