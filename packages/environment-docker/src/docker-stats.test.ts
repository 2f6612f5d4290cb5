import { describe, expect, it } from 'vitest'

import { absoluteCpu, memoryUsage, resourceSampleOf, uptimeIncrement } from './docker-stats.js'

describe('resourceSampleOf', () => {
  it('turns a cgroup v1 sample into the websocket stats object', () => {
    const sample = resourceSampleOf(
      {
        read: '2024-03-01T10:00:01.000000000Z',
        preread: '2024-03-01T10:00:00.000000000Z',
        memory_stats: {
          usage: 50_000_000,
          limit: 294_400_000,
          stats: { total_inactive_file: 10_000_000 },
        },
        cpu_stats: {
          cpu_usage: { total_usage: 2_500_000_000 },
          system_cpu_usage: 20_000_000_000,
          online_cpus: 2,
        },
        precpu_stats: {
          cpu_usage: { total_usage: 2_000_000_000 },
          system_cpu_usage: 18_000_000_000,
        },
        networks: { eth0: { rx_bytes: 100, tx_bytes: 50 }, eth1: { rx_bytes: 1, tx_bytes: 2 } },
      },
      1234,
    )

    expect(sample).toEqual({
      memoryBytes: 40_000_000,
      memoryLimitBytes: 294_400_000,
      cpuAbsolute: 50,
      network: { rxBytes: 101, txBytes: 52 },
      uptime: 1234,
    })
  })

  it('reads zeroes from an empty sample', () => {
    expect(resourceSampleOf({}, 0)).toEqual({
      memoryBytes: 0,
      memoryLimitBytes: 0,
      cpuAbsolute: 0,
      network: { rxBytes: 0, txBytes: 0 },
      uptime: 0,
    })
  })
})

describe('memoryUsage', () => {
  it('subtracts the cgroup v2 inactive file cache, but never below zero', () => {
    expect(memoryUsage({ usage: 100, stats: { inactive_file: 30 } })).toBe(70)
    expect(memoryUsage({ usage: 100, stats: { total_inactive_file: 300 } })).toBe(100)
    expect(memoryUsage({ usage: 100, stats: { inactive_file: 300 } })).toBe(100)
  })
})

describe('absoluteCpu', () => {
  it('is 0 without a positive delta and counts per-CPU entries when online_cpus is missing', () => {
    expect(absoluteCpu(undefined, { cpu_usage: { total_usage: 0 }, system_cpu_usage: 10 })).toBe(0)
    expect(
      absoluteCpu(
        { cpu_usage: { total_usage: 100 }, system_cpu_usage: 1000 },
        {
          cpu_usage: { total_usage: 133.3333, percpu_usage: [1, 1, 1, 1] },
          system_cpu_usage: 2000,
        },
      ),
    ).toBe(13.333)
  })
})

describe('uptimeIncrement', () => {
  it('is the time between reads, and 0 for the first sample whose preread is the zero time', () => {
    expect(
      uptimeIncrement({ read: '2024-03-01T10:00:01.5Z', preread: '2024-03-01T10:00:00Z' }),
    ).toBe(1500)
    expect(uptimeIncrement({ read: '2024-03-01T10:00:01Z', preread: '0001-01-01T00:00:00Z' })).toBe(
      0,
    )
    expect(uptimeIncrement({})).toBe(0)
  })
})
