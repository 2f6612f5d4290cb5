import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'

import { createTempDir } from '@node/testkit'
import { describe, expect, it } from 'vitest'

import { cpuTicksOf, readProcessTreeUsage, rssBytesOf } from './proc-stats.js'

async function fakeProcess(
  root: string,
  pid: number,
  options: { ticks: [number, number, number, number]; rssKb: number; children: number[] },
): Promise<void> {
  const dir = path.join(root, String(pid))
  await mkdir(path.join(dir, 'task', String(pid)), { recursive: true })
  const [utime, stime, cutime, cstime] = options.ticks
  await writeFile(
    path.join(dir, 'stat'),
    `${pid} (a (weird) name) S 1 ${pid} ${pid} 0 -1 4194560 100 0 0 0 ${utime} ${stime} ${cutime} ${cstime} 20 0 1 0 1 2 3\n`,
  )
  await writeFile(
    path.join(dir, 'status'),
    `Name:\tx\nVmRSS:\t    ${options.rssKb} kB\nThreads:\t1\n`,
  )
  await writeFile(
    path.join(dir, 'task', String(pid), 'children'),
    options.children.join(' ') + (options.children.length ? ' ' : ''),
  )
}

describe('readProcessTreeUsage', () => {
  it('adds up CPU ticks and resident memory of a process and its descendants', async () => {
    await using proc = await createTempDir('proc-stats-')
    await fakeProcess(proc.path, 10, { ticks: [1, 2, 3, 4], rssKb: 100, children: [11, 12] })
    await fakeProcess(proc.path, 11, { ticks: [10, 0, 0, 0], rssKb: 50, children: [13] })
    await fakeProcess(proc.path, 13, { ticks: [0, 5, 0, 0], rssKb: 1, children: [] })
    // 12 exited between listing and reading: skipped.

    const usage = await readProcessTreeUsage(10, proc.path)

    expect(usage).toEqual({ cpuTicks: 25, rssBytes: 151 * 1024, processes: 3 })
  })

  it('reads nothing for a process that is gone', async () => {
    await using proc = await createTempDir('proc-stats-')

    expect(await readProcessTreeUsage(99, proc.path)).toEqual({
      cpuTicks: 0,
      rssBytes: 0,
      processes: 0,
    })
  })

  it('reads this very process from the real /proc', async () => {
    const usage = await readProcessTreeUsage(process.pid)

    expect(usage.processes).toBeGreaterThanOrEqual(1)
    expect(usage.rssBytes).toBeGreaterThan(0)
  })
})

describe('parsers', () => {
  it('reads the CPU fields after a command name with spaces and parentheses', () => {
    expect(cpuTicksOf('7 (x) y) R 1 7 7 0 -1 0 0 0 0 0 3 4 5 6 20 0')).toBe(18)
    expect(rssBytesOf('Name:\tkthreadd\n')).toBe(0)
  })
})
