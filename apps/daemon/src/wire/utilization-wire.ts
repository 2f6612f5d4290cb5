import type { ResourceUsage } from '@node/server-state'

/** websocket.md §6.1's stats object in the reference's struct order (details view, `send stats`). */
export function utilizationWire(usage: ResourceUsage): Record<string, unknown> {
  return {
    memory_bytes: usage.memoryBytes,
    memory_limit_bytes: usage.memoryLimitBytes,
    cpu_absolute: usage.cpuAbsolute,
    network: { rx_bytes: usage.network.rxBytes, tx_bytes: usage.network.txBytes },
    uptime: usage.uptime,
    state: usage.state,
    disk_bytes: usage.diskBytes,
  }
}

/** The same object with sorted keys, as the periodic `stats` events carry it (websocket.md §6.1). */
export function utilizationWireSorted(usage: ResourceUsage): Record<string, unknown> {
  // `network`'s own keys are already in order.
  return Object.fromEntries(
    Object.entries(utilizationWire(usage)).sort(([a], [b]) => (a < b ? -1 : 1)),
  )
}
