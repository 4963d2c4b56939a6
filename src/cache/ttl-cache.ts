// A TTL cache on one Map: O(1) get/set/delete, expiry checked on read and swept by one
// unref'd timer, a cap on entries and one on bytes, a monotonic clock, and singleflight
// loads so concurrent misses for one key make one backing call.
//
// Eviction is second-chance (CLOCK), the approximation of least-recently-used that page
// caches use: a hit only sets a flag; at the cap, entries are examined oldest first, a
// flagged one loses its flag and moves to the young end, the first unflagged one goes.
// A true LRU on a Map (delete + set on every hit) costs O(size) per hit in V8:
// re-inserting a key leaves a hole in its hash chain until the next rehash, so a hot key's
// chain grows.
//
// The byte budget: the cache knows sizes, not values. `measure` says what a value holds
// when it is stored; a value that grows later (a compressed variant made on demand)
// reports it through its entry's grow(). Eviction runs until both caps hold, and an
// entry above an eighth of the budget is not kept at all, so one value never flushes
// the cache.
//
// Invalidation: invalidate(key) drops the entry, and a load of that key already under way
// is served to its waiters but not stored: its value may predate the change. (Dropping only
// the entry would let a reply read before the change land after it.) The same holds for
// reads of a lower level made outside load() (openRead/closeRead): those are cheaper than a
// shared load, with no singleflight, for a level that answers fast.
//
// Stale-if-error (RFC 5861): with `staleMs`, an expired entry is a miss but stays in the
// map (and the budgets) that much longer, so a caller whose reload failed can still serve
// it through stale(). The sweep removes it after both windows.
import { performance } from 'node:perf_hooks';

/** Where a stored value reports bytes it gained (or gave back) after being measured. */
export interface Growth {
  /** Still in the cache: growth is charged, and work for the value is worth doing. */
  readonly cached: boolean;
  grow(deltaBytes: number): void;
}

/** What an entry needs from its cache to charge growth. */
interface ByteAccount<V> {
  charge(entry: CacheEntry<V>, deltaBytes: number): void;
}

export class CacheEntry<V> implements Growth {
  /** Set by a hit; gives the entry a second chance when eviction reaches it. */
  referenced = false;
  /** In the cache's map: false before it is stored and once it is evicted, expired, replaced or deleted. */
  cached = false;
  /** Bytes charged to the cache's budget while cached. */
  bytes = 0;

  constructor(
    readonly key: string,
    readonly value: V,
    /** Monotonic time (the cache's clock) at which the entry stops being served (shorten() may bring it forward). */
    public expiresAt: number,
    private readonly account: ByteAccount<V>,
  ) {}

  /** Charges growth to the budget (which may evict); ignored once the entry has left the cache. */
  grow(deltaBytes: number): void {
    if (this.cached) this.account.charge(this, deltaBytes);
  }
}

export interface Loaded<V> {
  readonly value: V;
  /** Overrides the cache's TTL for this entry (e.g. a short one for a 404). */
  readonly ttlMs?: number;
}

/** What a loader may ask about its load while it runs. */
export interface LoadTicket {
  /** invalidate() or clear() named this key after the load began: its value may be out of date. */
  readonly invalidated: boolean;
}

export type Loader<V> = (signal: AbortSignal, ticket: LoadTicket) => Promise<Loaded<V>>;

export interface CacheOptions<V> {
  readonly ttlMs: number;
  readonly maxEntries: number;
  /** Budget for the bytes `measure` reports, growth included. */
  readonly maxBytes: number;
  /** Bytes a value holds, counted when it is stored (0 for every value when absent). A
   *  value that grows later may keep `growth` and report through it. */
  readonly measure?: (value: V, growth: Growth) => number;
  /** Told when a stored entry leaves the cache, so work planned for its value can be dropped. */
  readonly released?: (value: V) => void;
  /** How long past its TTL an entry may still be served by stale() (0: never; removed on expiry). */
  readonly staleMs?: number;
  /** Interval of the expiry sweep; 0 disables the timer (call sweep() yourself). */
  readonly sweepMs: number;
  /** Monotonic milliseconds; injectable so tests can move time. */
  readonly now?: () => number;
}

export interface CacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly hitRate: number;
  readonly entries: number;
  readonly maxEntries: number;
  /** Bytes of the cached entries, as measured. */
  readonly bytes: number;
  readonly maxBytes: number;
  /** Evictions by either cap. */
  readonly evictions: number;
  /** Values not kept (or dropped when they grew) because they exceed maxBytes / 8. */
  readonly tooLarge: number;
  readonly expirations: number;
  /** Entries dropped, and loads marked, by invalidate() and clear(). */
  readonly invalidations: number;
  /** Expired entries served by stale() because a reload failed. */
  readonly staleServed: number;
  readonly loads: number;
  readonly loadErrors: number;
  readonly inflight: number;
}

/** One shared load and the callers waiting on it; its loader's ticket. */
class Flight<V> implements LoadTicket {
  /** Settles with the load; set right after the loader is called. */
  promise!: Promise<CacheEntry<V>>;
  /** Aborts the loader's work: when the last waiter leaves. */
  readonly controller = new AbortController();
  /** Callers still waiting; one without a signal never leaves. */
  waiters = 0;
  invalidated = false;
}

/** Keys remembered as invalidated while reads are open; past it, an invalidation counts as a clear(). */
const MAX_REMEMBERED_INVALIDATIONS = 10_000;

/** An entry may hold at most this share of the byte budget. */
const MAX_ENTRY_SHARE = 8;

export class TtlCache<V> implements ByteAccount<V> {
  private readonly map = new Map<string, CacheEntry<V>>();
  private readonly inflight = new Map<string, Flight<V>>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private hits = 0;
  private misses = 0;
  private evictions = 0;
  private expirations = 0;
  private invalidations = 0;
  private staleServed = 0;
  private loads = 0;
  private loadErrors = 0;
  private bytes = 0;
  private tooLarge = 0;
  private readonly maxEntryBytes: number;
  private readonly staleMs: number;
  /** Bumped by every invalidate() and clear(): what an open read is checked against. */
  private epoch = 0;
  /** Reads begun by openRead() and not yet closed. */
  private openReads = 0;
  /** The epoch of the last clear(); reads open before it keep nothing. */
  private clearedAt = 0;
  /** The epoch at which each key was invalidated, while reads are open. */
  private readonly invalidatedAt = new Map<string, number>();

  constructor(private readonly options: CacheOptions<V>) {
    this.maxEntryBytes = options.maxBytes / MAX_ENTRY_SHARE;
    this.staleMs = options.staleMs ?? 0;
    this.now = options.now ?? (() => performance.now());
    if (options.sweepMs > 0) {
      this.timer = setInterval(() => this.sweep(), options.sweepMs);
      this.timer.unref();
    }
  }

  get size(): number {
    return this.map.size;
  }

  /** A live entry, or undefined (a miss). Counts hits and misses; marks the entry used. */
  get(key: string): CacheEntry<V> | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) {
      this.misses++;
      return undefined;
    }
    const now = this.now();
    if (entry.expiresAt <= now) {
      // Kept for stale() while its stale window lasts; the sweep removes it after.
      if (entry.expiresAt + this.staleMs <= now) {
        this.remove(entry);
        this.expirations++;
      }
      this.misses++;
      return undefined;
    }
    this.hits++;
    entry.referenced = true;
    return entry;
  }

  /** Stores value (unless its TTL is not positive or it is too large) and returns its
   *  entry either way, so the caller can serve it. */
  set(key: string, value: V, ttlMs: number = this.options.ttlMs): CacheEntry<V> {
    const entry = new CacheEntry(key, value, this.now() + ttlMs, this);
    const old = this.map.get(key);
    if (old !== undefined) this.remove(old);
    // 0, negative or NaN, or no room at all: served once, never stored.
    if (!(ttlMs > 0) || this.options.maxEntries === 0) return entry;
    const bytes = this.options.measure?.(value, entry) ?? 0;
    if (bytes > this.maxEntryBytes) {
      this.tooLarge++;
      return entry;
    }
    entry.bytes = bytes;
    entry.cached = true;
    this.bytes += bytes;
    this.map.set(key, entry);
    this.evictToFit();
    return entry;
  }

  /** An entry's value grew after it was stored (CacheEntry.grow). */
  charge(entry: CacheEntry<V>, deltaBytes: number): void {
    entry.bytes += deltaBytes;
    this.bytes += deltaBytes;
    if (entry.bytes > this.maxEntryBytes) {
      this.remove(entry);
      this.tooLarge++;
      return;
    }
    this.evictToFit();
  }

  /**
   * The entry for key while it may still be served after a failed reload: live, or
   * expired less than `staleMs` ago. Counted as stale served when expired; not a hit.
   */
  stale(key: string): CacheEntry<V> | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    const now = this.now();
    if (entry.expiresAt + this.staleMs <= now) return undefined;
    if (entry.expiresAt <= now) this.staleServed++;
    return entry;
  }

  /** Milliseconds until entry expires (0 when it already has). */
  ttlLeft(entry: CacheEntry<V>): number {
    return Math.max(0, entry.expiresAt - this.now());
  }

  delete(key: string): boolean {
    const entry = this.map.get(key);
    if (entry === undefined) return false;
    this.remove(entry);
    return true;
  }

  /** The key's data changed: its entry goes, and a load under way is not stored. Returns
   *  whether there was an entry. */
  invalidate(key: string): boolean {
    this.epoch++;
    if (this.openReads > 0) {
      if (this.invalidatedAt.size < MAX_REMEMBERED_INVALIDATIONS) this.invalidatedAt.set(key, this.epoch);
      else this.forgetInvalidations();
    }
    const flight = this.inflight.get(key);
    if (flight !== undefined) flight.invalidated = true;
    const had = this.delete(key);
    if (had || flight !== undefined) this.invalidations++;
    return had;
  }

  /** Every key's data may have changed (a shared cache was flushed, or its invalidations
   *  were lost): invalidate() for all. Returns the entries dropped. */
  clear(): number {
    this.epoch++;
    this.forgetInvalidations();
    for (const flight of this.inflight.values()) flight.invalidated = true;
    const dropped = this.map.size;
    for (const entry of this.map.values()) this.remove(entry);
    this.invalidations += dropped + this.inflight.size;
    return dropped;
  }

  /** Every entry expires within maxTtlMs (then keeps its stale window) and no load under way
   *  is stored: when invalidations may have been lost, what is held is read again soon rather
   *  than dropped at once. Returns the entries shortened. */
  shorten(maxTtlMs: number): number {
    this.epoch++;
    this.forgetInvalidations();
    for (const flight of this.inflight.values()) flight.invalidated = true;
    const latest = this.now() + maxTtlMs;
    let shortened = 0;
    for (const entry of this.map.values()) {
      if (entry.expiresAt <= latest) continue;
      entry.expiresAt = latest;
      shortened++;
    }
    return shortened;
  }

  /** Begins a read of a lower level for some key, outside load(): the mark closeRead() needs. */
  openRead(): number {
    this.openReads++;
    return this.epoch;
  }

  /** Ends a read begun at `mark` with its value: stored unless the
   *  key was invalidated meanwhile, and returned either way so that it can be served. */
  closeRead(key: string, mark: number, value: V, ttlMs: number): CacheEntry<V> {
    const changed = this.clearedAt > mark || (this.invalidatedAt.get(key) ?? 0) > mark;
    this.endRead();
    return this.set(key, value, changed ? 0 : ttlMs);
  }

  /** Ends a read that found nothing. */
  endRead(): void {
    if (--this.openReads === 0) this.invalidatedAt.clear();
  }

  /** Every open read is treated as changed; the per-key record is dropped. */
  private forgetInvalidations(): void {
    this.clearedAt = this.epoch;
    this.invalidatedAt.clear();
  }

  /**
   * Loads key through the loader, sharing one call among all concurrent callers, and
   * stores the result. A failed load is not cached; every waiter sees the error.
   *
   * A caller with a `signal` may give up: its promise rejects with the signal's reason
   * at once, and the others keep waiting. When the last waiter has given up, the load is
   * forgotten (the next caller starts a new one) and the loader's signal aborts with that
   * waiter's reason, so the work nobody waits for stops (and counts as a load error).
   */
  load(key: string, loader: Loader<V>, signal?: AbortSignal): Promise<CacheEntry<V>> {
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    const flight = this.inflight.get(key) ?? this.startLoad(key, loader);
    flight.waiters++;
    return signal === undefined ? flight.promise : this.wait(key, flight, signal);
  }

  private startLoad(key: string, loader: Loader<V>): Flight<V> {
    this.loads++;
    const flight = new Flight<V>();
    const controller = flight.controller;
    flight.promise = loader(controller.signal, flight).then(
        (loaded) => {
          this.forget(key, flight);
          // Abandoned: a value nobody waited for is not stored (a newer load may be running).
          if (controller.signal.aborted) throw controller.signal.reason;
          // Invalidated while loading: served to those waiting, not kept.
          return this.set(key, loaded.value, flight.invalidated ? 0 : loaded.ttlMs);
        },
        (error: unknown) => {
          this.forget(key, flight);
          if (!controller.signal.aborted) this.loadErrors++; // an abandoned one is counted once, when abandoned
          throw error;
        },
      );
    this.inflight.set(key, flight);
    return flight;
  }

  /** One waiter's view of a shared load: it settles with the load, or when `signal` aborts. */
  private wait(key: string, flight: Flight<V>, signal: AbortSignal): Promise<CacheEntry<V>> {
    return new Promise<CacheEntry<V>>((resolve, reject) => {
      const leave = (): void => {
        reject(signal.reason);
        // The last one out abandons the load, unless it has settled already.
        if (--flight.waiters > 0 || this.inflight.get(key) !== flight) return;
        this.inflight.delete(key);
        this.loadErrors++;
        flight.controller.abort(signal.reason);
      };
      signal.addEventListener('abort', leave, { once: true });
      flight.promise.then(
        (entry) => {
          signal.removeEventListener('abort', leave);
          resolve(entry);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', leave);
          reject(error);
        },
      );
    });
  }

  /** A settled or abandoned load stops being the one new callers join. */
  private forget(key: string, flight: Flight<V>): void {
    if (this.inflight.get(key) === flight) this.inflight.delete(key);
  }

  /** Removes every entry past its TTL and stale window; returns how many. Runs on the sweep timer. */
  sweep(): number {
    const now = this.now() - this.staleMs;
    let removed = 0;
    for (const entry of this.map.values()) {
      if (entry.expiresAt <= now) {
        this.remove(entry);
        removed++;
      }
    }
    this.expirations += removed;
    return removed;
  }

  /** Stops the sweep timer (shutdown). The cache still works; expiry stays lazy. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  stats(): CacheStats {
    const lookups = this.hits + this.misses;
    return {
      hits: this.hits,
      misses: this.misses,
      hitRate: lookups === 0 ? 0 : this.hits / lookups,
      entries: this.map.size,
      maxEntries: this.options.maxEntries,
      bytes: this.bytes,
      maxBytes: this.options.maxBytes,
      evictions: this.evictions,
      tooLarge: this.tooLarge,
      expirations: this.expirations,
      invalidations: this.invalidations,
      staleServed: this.staleServed,
      loads: this.loads,
      loadErrors: this.loadErrors,
      inflight: this.inflight.size,
    };
  }

  private evictToFit(): void {
    while ((this.map.size > this.options.maxEntries || this.bytes > this.options.maxBytes) && this.map.size > 0) this.evictOldest();
  }

  private evictOldest(): void {
    // Map order is insertion order: oldest first. Entries moved to the end are unflagged,
    // so the walk ends within one pass over the map.
    for (const [key, entry] of this.map) {
      if (entry.referenced) {
        this.map.delete(key);
        entry.referenced = false;
        this.map.set(key, entry);
        continue;
      }
      this.remove(entry);
      this.evictions++;
      return;
    }
  }

  /** Takes a cached entry out of the map and its bytes off the budget. */
  private remove(entry: CacheEntry<V>): void {
    this.map.delete(entry.key);
    entry.cached = false;
    this.bytes -= entry.bytes;
    entry.bytes = 0;
    this.options.released?.(entry.value);
  }
}
