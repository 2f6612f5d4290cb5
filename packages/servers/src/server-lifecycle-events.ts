import type { Logger } from '@node/shared-kernel'

import type { HostedServer } from './hosted-server.js'

/** What happens to the servers of this node that other capabilities act on. */
export interface ServerLifecycleEventMap {
  /**
   * The server is being deleted: it is suspended and cancelled already; its runtime and jail go
   * next. Stop per-server work (downloads, sessions, transfers) here.
   */
  deleted: HostedServer
  /** A sync found the server suspended: its users lose access (websockets, SFTP sessions). */
  suspended: HostedServer
  /** The Panel revoked a user's tokens on these servers. */
  deauthorized: { readonly userUuid: string; readonly servers: readonly HostedServer[] }
}

export type ServerLifecycleEvent = keyof ServerLifecycleEventMap

/**
 * Where capabilities hear about servers joining and leaving access: each subscribes by name at
 * start-up. Delivery is synchronous, in subscription order; a listener that throws is logged and
 * the others still run.
 */
export class ServerLifecycleEvents {
  readonly #listeners = new Map<ServerLifecycleEvent, Set<(payload: never) => void>>()
  readonly #logger: Logger

  constructor(logger: Logger) {
    this.#logger = logger
  }

  /** Calls `listener` on every `event`; the returned function unsubscribes. */
  on<K extends ServerLifecycleEvent>(
    event: K,
    listener: (payload: ServerLifecycleEventMap[K]) => void,
  ): () => void {
    const set = this.#listeners.get(event) ?? new Set()
    this.#listeners.set(event, set)
    const entry = (payload: never): void => listener(payload)
    set.add(entry)
    return () => set.delete(entry)
  }

  emit<K extends ServerLifecycleEvent>(event: K, payload: ServerLifecycleEventMap[K]): void {
    for (const listener of this.#listeners.get(event) ?? []) {
      try {
        ;(listener as (payload: ServerLifecycleEventMap[K]) => void)(payload)
      } catch (err) {
        this.#logger.error('server lifecycle listener failed', { event, err })
      }
    }
  }
}
