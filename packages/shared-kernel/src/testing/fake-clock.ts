import type { Clock } from '../ports/clock.js'

interface Pending {
  readonly at: number
  readonly callback: () => void
}

/** A clock that moves only when told to: `advance(ms)` fires the timers that fall due. */
export class FakeClock implements Clock {
  #now: number
  #pending = new Set<Pending>()

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  setTimeout(callback: () => void, ms: number): () => void {
    const entry: Pending = { at: this.#now + Math.max(0, ms), callback }
    this.#pending.add(entry)
    return () => this.#pending.delete(entry)
  }

  advance(ms: number): void {
    const target = this.#now + ms
    for (;;) {
      const due = [...this.#pending].filter((p) => p.at <= target).sort((a, b) => a.at - b.at)[0]
      if (!due) break
      this.#pending.delete(due)
      this.#now = due.at
      due.callback()
    }
    this.#now = target
  }
}
