/**
 * Laravel's login throttle as the SFTP route uses it: at most 5 failed attempts per key within a
 * decay window that starts at the first failure (60 s).
 */
export class LoginThrottle {
  readonly #hits = new Map<string, { count: number; resetAt: number }>()
  readonly #maxAttempts: number
  readonly #decayMs: number
  readonly #now: () => number

  constructor(options: { maxAttempts?: number; decayMs?: number; now?: () => number } = {}) {
    this.#maxAttempts = options.maxAttempts ?? 5
    this.#decayMs = options.decayMs ?? 60_000
    this.#now = options.now ?? Date.now
  }

  tooManyAttempts(key: string): boolean {
    const entry = this.#entry(key)
    return entry !== undefined && entry.count >= this.#maxAttempts
  }

  /** Seconds until the key's window ends (Laravel's `availableIn`). */
  availableIn(key: string): number {
    const entry = this.#entry(key)
    return entry ? Math.max(0, Math.ceil((entry.resetAt - this.#now()) / 1000)) : 0
  }

  hit(key: string): void {
    const entry = this.#entry(key)
    if (entry) entry.count++
    else this.#hits.set(key, { count: 1, resetAt: this.#now() + this.#decayMs })
  }

  clear(): void {
    this.#hits.clear()
  }

  #entry(key: string): { count: number; resetAt: number } | undefined {
    const entry = this.#hits.get(key)
    if (entry && entry.resetAt <= this.#now()) {
      this.#hits.delete(key)
      return undefined
    }
    return entry
  }
}
