import { nullLogger, type Logger } from '@node/shared-kernel'

import type { ServerEvent, ServerEventName, ServerEvents } from './model/server-events.js'

/** A subscriber; a returned promise is only watched for rejection, never awaited. */
export type ServerEventListener<K extends ServerEventName> = (payload: ServerEvents[K]) => unknown
export type AnyServerEventListener = (event: ServerEvent) => unknown

export interface ServerEventBusOptions {
  /** Where a failing subscriber is reported. */
  readonly logger?: Logger
}

interface Subscription {
  readonly listener: (value: never) => unknown
  active: boolean
}

/**
 * The per-server event bus. Publishing is synchronous and cheap: every subscriber is called in
 * subscription order before `publish` returns, so subscribers must be quick and do their own
 * buffering (the websocket layer's per-socket queues). A subscriber that throws or rejects is
 * reported and skipped; the publisher and the other subscribers never notice. Each subscriber
 * sees events in publish order, even when a subscriber publishes from inside its callback.
 */
export class ServerEventBus {
  readonly #logger: Logger
  // Copy-on-write arrays: dispatch iterates them without copying; `active` stops an
  // unsubscribed listener from being called by a dispatch already under way.
  readonly #byName = new Map<ServerEventName, readonly Subscription[]>()
  #any: readonly Subscription[] = []
  readonly #queue: ServerEvent[] = []
  #dispatching = false
  #closed = false

  constructor(options: ServerEventBusOptions = {}) {
    this.#logger = options.logger ?? nullLogger
  }

  /** Calls `listener` with the payload of every `name` event; the returned function unsubscribes. */
  subscribe<K extends ServerEventName>(name: K, listener: ServerEventListener<K>): () => void {
    if (this.#closed) return () => undefined
    const subscription: Subscription = { listener, active: true }
    this.#byName.set(name, [...(this.#byName.get(name) ?? []), subscription])
    return () => {
      if (!subscription.active) return
      subscription.active = false
      const rest = (this.#byName.get(name) ?? []).filter((s) => s !== subscription)
      if (rest.length === 0) this.#byName.delete(name)
      else this.#byName.set(name, rest)
    }
  }

  /** Calls `listener` with every event, whatever its name (the websocket forwards them all). */
  subscribeAll(listener: AnyServerEventListener): () => void {
    if (this.#closed) return () => undefined
    const subscription: Subscription = { listener, active: true }
    this.#any = [...this.#any, subscription]
    return () => {
      if (!subscription.active) return
      subscription.active = false
      this.#any = this.#any.filter((s) => s !== subscription)
    }
  }

  /** Delivers the event to every subscriber; does nothing once the bus is closed. */
  publish<K extends ServerEventName>(name: K, payload: ServerEvents[K]): void {
    if (this.#closed) return
    this.#queue.push({ name, payload } as ServerEvent)
    if (this.#dispatching) return
    this.#dispatching = true
    try {
      // Index loop: events published by a subscriber are appended and delivered after the
      // current one, so every subscriber sees the same order.
      for (let i = 0; i < this.#queue.length && !this.#closed; i++) {
        this.#dispatch(this.#queue[i] as ServerEvent)
      }
    } finally {
      this.#queue.length = 0
      this.#dispatching = false
    }
  }

  /** Drops every subscriber and ignores later publishes (the server was deleted). */
  close(): void {
    this.#closed = true
    for (const list of this.#byName.values()) for (const s of list) s.active = false
    for (const s of this.#any) s.active = false
    this.#byName.clear()
    this.#any = []
  }

  get isClosed(): boolean {
    return this.#closed
  }

  /** How many subscribers listen for `name` (every name when omitted), whole-bus ones included. */
  listenerCount(name?: ServerEventName): number {
    let named = 0
    if (name === undefined) for (const list of this.#byName.values()) named += list.length
    else named = this.#byName.get(name)?.length ?? 0
    return named + this.#any.length
  }

  #dispatch(event: ServerEvent): void {
    for (const s of this.#byName.get(event.name) ?? []) {
      if (s.active) this.#call(s, event.payload as never, event.name)
    }
    for (const s of this.#any) {
      if (s.active) this.#call(s, event as never, event.name)
    }
  }

  #call(subscription: Subscription, value: never, name: ServerEventName): void {
    try {
      const result = subscription.listener(value)
      if (isThenable(result)) {
        void result.then(undefined, (err: unknown) => this.#report(name, err))
      }
    } catch (err) {
      this.#report(name, err)
    }
  }

  #report(event: ServerEventName, err: unknown): void {
    try {
      this.#logger.error('server event listener failed', { event, err })
    } catch {
      // A broken logger must not break the publisher either.
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}
