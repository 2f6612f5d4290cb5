export interface DenyListOptions {
  /** How long after its denial an entry can still match a valid token, in ms. */
  readonly retainMs: number
  /** Most entries kept; beyond it the oldest fold into `floor`. */
  readonly maxEntries: number
}

/**
 * Denials keyed by a string (a `jti`, or `<server>:<user>`), each with the instant it was made.
 * A token matching a key is denied when it was issued at or before that instant.
 *
 * Memory stays bounded without ever un-denying a token: entries are dropped once no token they
 * match can still be valid (`retainMs`), and when the list is full the oldest entry is folded
 * into `floor`, an instant up to which every token counts as denied. That over-denies (those
 * users fetch a fresh token, as after a reboot) but never lets a denied token through.
 */
export class DenyList {
  // Insertion order is denial order: a repeated denial moves its key to the end.
  readonly #entries = new Map<string, number>()
  readonly #retainMs: number
  readonly #maxEntries: number
  #floor = Number.NEGATIVE_INFINITY

  constructor(options: DenyListOptions) {
    this.#retainMs = options.retainMs
    this.#maxEntries = Math.max(1, options.maxEntries)
  }

  get size(): number {
    return this.#entries.size
  }

  /** Every token issued at or before this instant (ms) is denied, whatever its key. */
  get floor(): number {
    return this.#floor
  }

  /** Returns whether folding the oldest entry raised `floor`. */
  deny(key: string, now: number): boolean {
    this.#purge(now)
    const previous = this.#entries.get(key)
    this.#entries.delete(key)
    // A clock stepping back never shortens an existing denial.
    this.#entries.set(key, Math.max(now, previous ?? now))
    let folded = false
    while (this.#entries.size > this.#maxEntries) {
      const [oldestKey, oldestAt] = this.#entries.entries().next().value as [string, number]
      this.#entries.delete(oldestKey)
      this.#floor = Math.max(this.#floor, oldestAt)
      folded = true
    }
    return folded
  }

  /** The instant (ms) `key` was last denied, if it still matters at `now`. */
  deniedAt(key: string, now: number): number | undefined {
    this.#purge(now)
    return this.#entries.get(key)
  }

  #purge(now: number): void {
    for (const [key, at] of this.#entries) {
      if (at + this.#retainMs > now) break
      this.#entries.delete(key)
    }
  }
}
