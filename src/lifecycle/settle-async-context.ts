// Imported first by server.ts, for its side effect. Node 24 turns AsyncContextFrame on
// lazily: the first timer to fire reads AsyncContextFrame.enabled, which swaps the
// class's prototype (Node 26: adds the methods as own properties) and so gives it a new
// hidden class. process.nextTick reads AsyncContextFrame.current() on every call; a
// nextTick that ran before the swap (listen() queues ticks) leaves that load polymorphic
// for the life of the process, on every request. Reading AsyncLocalStorage makes Node decide
// now, before any tick is queued. On Node 20 and 22 (no AsyncContextFrame by default)
// the read changes nothing.
import { AsyncLocalStorage } from 'node:async_hooks';

/** The class read above; exported so the read is not an unused expression. */
export const asyncLocalStorageClass: typeof AsyncLocalStorage = AsyncLocalStorage;
