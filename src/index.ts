// turbina's public API: importing it starts nothing. createApp builds a server from a
// config (the products API, health, metrics, and /debug when enabled); add routes and
// middleware, then start() it and stop() it gracefully. server.ts is built on this too.
// First, before anything queues a process.nextTick (settle-async-context.ts says why).
import './lifecycle/settle-async-context.js';
export { createApp, type App, type AppOptions } from './app.js';
export { RedisClient, RedisClientError, type RedisArg, type RedisClientOptions, type RedisClientStats, type RedisFailure, type RedisState } from './cache/redis/redis-client.js';
export { RedisError, RespPush, type RespMap, type RespValue } from './cache/redis/resp.js';
export type { Span } from './trace/tracer.js';
export type { AttributeValue, SpanKind } from './trace/span.js';
export { ConfigError, loadConfig, resolveConfig, type Config, type ConfigResult } from './config.js';
export type { RequestContext } from './http/context.js';
export type { Middleware } from './http/dispatch.js';
export { encodeBytes, encodeJson, encodeProblem, NO_STORE, type Encoded } from './http/encoded.js';
export { badRequest, HttpError, notFound, type InputLocation, type InputRule, type InvalidInput } from './http/http-error.js';
export type { Responder } from './http/responder.js';
export type { Handler, Route, Router } from './http/router.js';
export { int, MAX_WHOLE, oneOf, text, type Field, type FieldOptions, type IntOptions } from './http/validation/fields.js';
export { pathParams, type PathParam, type PathSchema } from './http/validation/path-params.js';
export { query, type QueryOptions, type QueryResult, type QuerySchema } from './http/validation/query-schema.js';
export type { ListenAt } from './lifecycle/listeners.js';
export type { LogOutputStats } from './log/log-output.js';
export type { LogFields } from './log/json-fields.js';
export { Logger } from './log/logger.js';
export { stdoutLogger } from './log/stdout-logger.js';
export type { Product } from './products/catalog.js';
export type { ProductPage, ProductStore } from './products/store.js';
