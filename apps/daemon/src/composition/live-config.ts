import type { DaemonConfig } from '../config/schema.js'

/**
 * The configuration in force. `POST /api/update` replaces it; readers call `current()` each time
 * instead of keeping a copy, so a rotated token or new CORS origins apply at once.
 */
export class LiveConfig {
  #current: DaemonConfig
  readonly #listeners = new Set<(config: DaemonConfig) => void>()

  constructor(initial: DaemonConfig) {
    this.#current = initial
  }

  current(): DaemonConfig {
    return this.#current
  }

  replace(next: DaemonConfig): void {
    this.#current = next
    for (const listener of this.#listeners) listener(next)
  }

  /**
   * A reader of what `derive` makes of the configuration in force, computed once per configuration
   * (readers on hot paths, such as every console line, pay for a comparison only).
   */
  derived<T>(derive: (config: DaemonConfig) => T): () => T {
    let from: DaemonConfig | undefined
    let value: T | undefined
    return () => {
      if (from !== this.#current) {
        from = this.#current
        value = derive(from)
      }
      return value as T
    }
  }

  /** Calls `listener` after every replacement; returns the function that stops it. */
  onChange(listener: (config: DaemonConfig) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }
}
