import type { ResourceSample } from '@node/server-state'

/** The fields of one Docker stats sample this adapter reads (Engine API, cgroup v1 and v2). */
export interface DockerStatsSample {
  readonly read?: string
  readonly preread?: string
  readonly memory_stats?: {
    readonly usage?: number
    readonly limit?: number
    readonly stats?: Readonly<Record<string, number>>
  }
  readonly cpu_stats?: DockerCpuStats
  readonly precpu_stats?: DockerCpuStats
  readonly networks?: Readonly<
    Record<string, { readonly rx_bytes?: number; readonly tx_bytes?: number }>
  >
}

interface DockerCpuStats {
  readonly cpu_usage?: { readonly total_usage?: number; readonly percpu_usage?: readonly number[] }
  readonly system_cpu_usage?: number
  readonly online_cpus?: number
}

/**
 * One stats sample as websocket.md §6.1 defines it. `uptime` is the caller's running total:
 * the start time from inspect plus `uptimeIncrement` of every sample.
 */
export function resourceSampleOf(stats: DockerStatsSample, uptime: number): ResourceSample {
  let rxBytes = 0
  let txBytes = 0
  for (const nw of Object.values(stats.networks ?? {})) {
    rxBytes += nw.rx_bytes ?? 0
    txBytes += nw.tx_bytes ?? 0
  }
  return {
    memoryBytes: memoryUsage(stats.memory_stats),
    memoryLimitBytes: stats.memory_stats?.limit ?? 0,
    cpuAbsolute: absoluteCpu(stats.precpu_stats, stats.cpu_stats),
    network: { rxBytes, txBytes },
    uptime,
  }
}

/** Usage minus the inactive file cache, as `docker stats` shows it. */
export function memoryUsage(memory: DockerStatsSample['memory_stats']): number {
  const usage = memory?.usage ?? 0
  const stats = memory?.stats ?? {}
  const v1 = stats.total_inactive_file
  if (v1 !== undefined && v1 < usage) return usage - v1
  const v2 = stats.inactive_file ?? 0
  if (v2 < usage) return usage - v2
  return usage
}

/** CPU use relative to one host core (100 = one core), rounded to 3 decimals. */
export function absoluteCpu(
  previous: DockerCpuStats | undefined,
  current: DockerCpuStats | undefined,
): number {
  const cpuDelta = (current?.cpu_usage?.total_usage ?? 0) - (previous?.cpu_usage?.total_usage ?? 0)
  const systemDelta = (current?.system_cpu_usage ?? 0) - (previous?.system_cpu_usage ?? 0)
  const cpus = current?.online_cpus || current?.cpu_usage?.percpu_usage?.length || 0
  if (cpuDelta <= 0 || systemDelta <= 0) return 0
  let percent = (cpuDelta / systemDelta) * 100
  if (cpus > 0) percent *= cpus
  return Math.round(percent * 1000) / 1000
}

/** Milliseconds between this sample and the previous one; 0 for the first (no `preread`). */
export function uptimeIncrement(stats: DockerStatsSample): number {
  const read = Date.parse(stats.read ?? '')
  const preread = Date.parse(stats.preread ?? '')
  // Docker sends Go's zero time (year 1) as `preread` of the first sample.
  if (!Number.isFinite(read) || !Number.isFinite(preread) || preread <= 0) return 0
  return Math.max(0, read - preread)
}
