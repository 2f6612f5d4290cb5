export interface OneTimeStoreOptions {
  /** How long a used id is remembered at least, in ms (Wings: 60 minutes). */
  readonly rememberMs: number
  /** Most ids kept. */
  readonly maxEntries: number
}

const SWEEP_INTERVAL_MS = 1000

export type ConsumeResult = 'consumed' | 'replayed' | 'full'

interface Entry {
  /** When the entry may be dropped. */
  readonly keepUntil: number
  /** When the token carrying the id stops being valid; after that a replay fails on `exp`. */
  readonly validUntil: number
}

/**
 * The `unique_id`s of used one-time tokens. `consume` checks and records in one synchronous
 * step, so two concurrent requests with the same id cannot both win.
 *
 * An id is kept for `rememberMs`, and longer if its token is still valid then. When the store is
 * full it first forgets ids whose tokens have expired (a replay of those fails anyway); if every
 * id still guards a valid token, it refuses new ones ('full') rather than forget a live id,
 * since forgetting would let that token be used twice.
 */
export class OneTimeStore {
  // Insertion order is first-use order, so the oldest entries sit at the head.
  readonly #entries = new Map<string, Entry>()
  readonly #rememberMs: number
  readonly #maxEntries: number
  /** Earliest instant of the next sweep of a full store. */
  #nextSweepAt = Number.NEGATIVE_INFINITY

  constructor(options: OneTimeStoreOptions) {
    this.#rememberMs = options.rememberMs
    this.#maxEntries = Math.max(1, options.maxEntries)
  }

  get size(): number {
    return this.#entries.size
  }

  consume(id: string, validUntil: number, now: number): ConsumeResult {
    this.#purge(now)
    if (this.#entries.has(id)) return 'replayed'
    if (this.#entries.size >= this.#maxEntries && !this.#sweep(now)) return 'full'
    this.#entries.set(id, { keepUntil: Math.max(now + this.#rememberMs, validUntil), validUntil })
    return 'consumed'
  }

  #purge(now: number): void {
    for (const [id, entry] of this.#entries) {
      if (entry.keepUntil > now) break
      this.#entries.delete(id)
    }
  }

  /** Forgets ids whose tokens have expired; returns whether room was made. */
  #sweep(now: number): boolean {
    if (now < this.#nextSweepAt) return false
    const before = this.#entries.size
    for (const [id, entry] of this.#entries) {
      if (entry.validUntil <= now) this.#entries.delete(id)
    }
    // A sweep is a pass over the whole store. When it frees a tenth or more, the next one is
    // that many insertions away; when it frees less, the store is full of live ids, and passes
    // are limited to one a second (new ids are refused in between).
    const freed = before - this.#entries.size
    this.#nextSweepAt =
      freed * 10 >= this.#maxEntries ? Number.NEGATIVE_INFINITY : now + SWEEP_INTERVAL_MS
    return this.#entries.size < this.#maxEntries
  }
}
