import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { HostUtilization } from './utilization.js'

let dir: string
const file = (name: string) => path.join(dir, name)

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'utilization-'))
  await mkdir(file('disk/volumes'), { recursive: true })
  await writeFile(file('stat'), 'cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 2 3\n')
  await writeFile(
    file('meminfo'),
    [
      'MemTotal:       1000 kB',
      'MemFree:         100 kB',
      'Buffers:          50 kB',
      'Cached:          200 kB',
      'SReclaimable:     50 kB',
      'SwapTotal:       400 kB',
      'SwapFree:        300 kB',
    ].join('\n'),
  )
  await writeFile(file('filesystems'), 'nodev\tsysfs\nnodev\ttmpfs\n\text4\n\tsquashfs\n')
  const disk = file('disk').replace(/ /g, '\\040')
  await writeFile(
    file('mounts'),
    [
      'proc /proc proc rw 0 0',
      'tmpfs /dev/shm tmpfs rw 0 0',
      `/dev/fake ${disk} ext4 rw 0 0`,
      `/dev/fake ${disk}/again ext4 rw 0 0`,
      '/dev/loop0 /snap/core squashfs ro 0 0',
      '/dev/gone /no/such/mountpoint ext4 rw 0 0',
    ].join('\n'),
  )
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const host = () =>
  new HostUtilization({
    procStat: file('stat'),
    meminfo: file('meminfo'),
    mounts: file('mounts'),
    filesystems: file('filesystems'),
  })

describe('HostUtilization', () => {
  it('reports memory and swap as gopsutil counts them, in bytes', async () => {
    const u = await host().read([])

    expect(u.memory_total).toBe(1000 * 1024)
    expect(u.memory_used).toBe((1000 - 100 - 50 - 200 - 50) * 1024)
    expect(u.swap_total).toBe(400 * 1024)
    expect(u.swap_used).toBe(100 * 1024)
  })

  it('reports the busy share of the CPU since the previous reading', async () => {
    const h = host()
    const sinceBoot = (await h.read([])).cpu_percent
    await writeFile(file('stat'), 'cpu  130 0 120 850 0 0 0 0 0 0\n')

    const since = (await h.read([])).cpu_percent

    expect(sinceBoot).toBe(20)
    expect(since).toBe(50)
  })

  it("lists each block device once, with the tags of the daemon's directories on it", async () => {
    const u = await host().read([
      ['Root', file('disk')],
      ['Data', file('disk/volumes')],
      ['Logs', file('no/such/dir')],
    ])

    expect(u.disk_details).toHaveLength(1)
    expect(u.disk_details[0]).toMatchObject({
      device: '/dev/fake',
      mountpoint: file('disk'),
      tags: ['Root', 'Data'],
    })
    expect(u.disk_details[0]!.total_space).toBeGreaterThan(0)
    expect(u.disk_total).toBe(u.disk_details[0]!.total_space)
    expect(u.disk_used).toBe(u.disk_details[0]!.used_space)
  })

  it("keeps Pelican's field order", async () => {
    expect(Object.keys(await host().read([]))).toEqual([
      'memory_total',
      'memory_used',
      'swap_total',
      'swap_used',
      'load_average1',
      'load_average5',
      'load_average15',
      'cpu_percent',
      'disk_total',
      'disk_used',
      'disk_details',
    ])
  })
})
