import type { Logger } from '@node/shared-kernel'

import type {
  EnvironmentEventName,
  EnvironmentEvents,
  EnvironmentListener,
} from '../ports/environment.js'

/**
 * The `subscribe` side of an Environment, for adapters: synchronous delivery, a throwing listener
 * is logged.
 */
export class EnvironmentEventEmitter {
  readonly #listeners = new Map<EnvironmentEventName, Set<(payload: never) => void>>()
  readonly #logger: Logger

  constructor(logger: Logger) {
    this.#logger = logger
  }

  subscribe<K extends EnvironmentEventName>(
    event: K,
    listener: EnvironmentListener<K>,
  ): () => void {
    let set = this.#listeners.get(event)
    if (!set) this.#listeners.set(event, (set = new Set()))
    // Wrapped so that subscribing the same function twice gives two independent subscriptions.
    const entry = (payload: never): void => listener(payload)
    set.add(entry)
    return () => {
      set.delete(entry)
    }
  }

  emit<K extends EnvironmentEventName>(event: K, payload: EnvironmentEvents[K]): void {
    const set = this.#listeners.get(event)
    if (!set || set.size === 0) return
    // A Set visits entries added during the loop and skips deleted ones, which is what we want.
    for (const listener of set) {
      try {
        ;(listener as (payload: EnvironmentEvents[K]) => void)(payload)
      } catch (err) {
        this.#logger.error('environment event listener failed', { event, err })
      }
    }
  }
}
