import type { ServerState } from './server-state.js'

/**
 * What a server uses right now: the stats object of websocket.md §6.1 in domain form. The wire
 * form (snake_case, key order) belongs to the HTTP and websocket edges.
 */
export interface ResourceUsage {
  /** Container memory minus inactive file cache. */
  readonly memoryBytes: number
  readonly memoryLimitBytes: number
  /** Percent of one host core (100 = one core), rounded to 3 decimals. */
  readonly cpuAbsolute: number
  /** Cumulative since the container started. */
  readonly network: { readonly rxBytes: number; readonly txBytes: number }
  /** Milliseconds since the container started. */
  readonly uptime: number
  readonly state: ServerState
  /** The cached disk usage of the server directory; never recalculated on read. */
  readonly diskBytes: number
}

/** One sample of the environment's stats stream: the usage without state and disk. */
export type ResourceSample = Omit<ResourceUsage, 'state' | 'diskBytes'>

/** The counters of a server that is not running. */
export const ZERO_RESOURCE_SAMPLE: ResourceSample = Object.freeze({
  memoryBytes: 0,
  memoryLimitBytes: 0,
  cpuAbsolute: 0,
  network: Object.freeze({ rxBytes: 0, txBytes: 0 }),
  uptime: 0,
})
