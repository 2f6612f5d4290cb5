import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'

/** Linux reports CPU times in USER_HZ ticks, 100 a second on every architecture Node runs on. */
export const CLOCK_TICKS_PER_SECOND = 100

export interface ProcessTreeUsage {
  /** CPU ticks of the live processes plus the children they have reaped. */
  readonly cpuTicks: number
  /** Resident memory of the live processes. */
  readonly rssBytes: number
  readonly processes: number
}

/**
 * Adds up CPU time and resident memory of `rootPid` and its descendants, found through
 * `/proc/<pid>/task/<tid>/children`. Processes that vanish while being read are skipped.
 */
export async function readProcessTreeUsage(
  rootPid: number,
  procRoot = '/proc',
): Promise<ProcessTreeUsage> {
  let cpuTicks = 0
  let rssBytes = 0
  let processes = 0
  const seen = new Set<number>()
  const queue = [rootPid]
  while (queue.length > 0) {
    const pid = queue.shift() as number
    if (seen.has(pid)) continue
    seen.add(pid)
    const dir = path.join(procRoot, String(pid))
    const [stat, status, children] = await Promise.all([
      readFile(path.join(dir, 'stat'), 'utf8').catch(() => undefined),
      readFile(path.join(dir, 'status'), 'utf8').catch(() => undefined),
      childrenOf(dir),
    ])
    if (stat === undefined) continue
    processes++
    cpuTicks += cpuTicksOf(stat)
    rssBytes += rssBytesOf(status ?? '')
    queue.push(...children)
  }
  return { cpuTicks, rssBytes, processes }
}

/** utime + stime + cutime + cstime of one `/proc/<pid>/stat` line. */
export function cpuTicksOf(stat: string): number {
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  let ticks = 0
  for (const index of [11, 12, 13, 14]) {
    const value = Number(fields[index])
    if (Number.isFinite(value) && value > 0) ticks += value
  }
  return ticks
}

/** VmRSS of one `/proc/<pid>/status`, in bytes (0 for kernel threads and zombies). */
export function rssBytesOf(status: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)
  return match ? Number(match[1]) * 1024 : 0
}

async function childrenOf(dir: string): Promise<number[]> {
  const tasks = await readdir(path.join(dir, 'task')).catch(() => [] as string[])
  const lists = await Promise.all(
    tasks.map((tid) => readFile(path.join(dir, 'task', tid, 'children'), 'utf8').catch(() => '')),
  )
  return lists.flatMap((list) =>
    list
      .split(' ')
      .map(Number)
      .filter((pid) => Number.isSafeInteger(pid) && pid > 0),
  )
}
