import { readFile, stat, statfs } from 'node:fs/promises'
import os from 'node:os'

/** One disk of `GET /api/system/utilization` [pelican], in Pelican's field order. */
export interface DiskInfo {
  readonly device: string
  readonly mountpoint: string
  readonly total_space: number
  readonly used_space: number
  /** Which of the daemon's directories live on it: `Root`, `Logs`, `Data`, `Archive`, `Backup`, `Temp`. */
  readonly tags: string[]
}

/** The `GET /api/system/utilization` body [pelican], in Pelican's field order. */
export interface SystemUtilization {
  readonly memory_total: number
  readonly memory_used: number
  readonly swap_total: number
  readonly swap_used: number
  readonly load_average1: number
  readonly load_average5: number
  readonly load_average15: number
  readonly cpu_percent: number
  readonly disk_total: number
  readonly disk_used: number
  readonly disk_details: DiskInfo[]
}

/** The daemon's directories, under the tag each gives the disk it lives on. */
export type TaggedPaths = readonly (readonly [tag: string, path: string])[]

/** Where the figures come from; the defaults read the host (tests point them at fixtures). */
export interface HostSources {
  readonly procStat?: string
  readonly meminfo?: string
  readonly mounts?: string
  readonly filesystems?: string
}

interface CpuTimes {
  readonly busy: number
  readonly total: number
}

/**
 * The host's memory, swap, load, CPU and disks as Pelican reports them (gopsutil's figures):
 * memory used is total − free − buffers − page cache (reclaimable slab included); CPU is the busy
 * share of all cores since the previous reading (since boot at the first); disks are the
 * mounted block-device file systems, each device once, with the tags of the daemon's directories
 * on it. A source that cannot be read rejects (the generic 500).
 */
export class HostUtilization {
  readonly #sources: Required<HostSources>
  #lastCpu: CpuTimes = { busy: 0, total: 0 }

  constructor(sources: HostSources = {}) {
    this.#sources = {
      procStat: sources.procStat ?? '/proc/stat',
      meminfo: sources.meminfo ?? '/proc/meminfo',
      mounts: sources.mounts ?? '/proc/self/mounts',
      filesystems: sources.filesystems ?? '/proc/filesystems',
    }
  }

  async read(paths: TaggedPaths): Promise<SystemUtilization> {
    const [cpu, memory, disks] = await Promise.all([
      this.#cpuPercent(),
      this.#memory(),
      this.#disks(paths),
    ])
    const [load1, load5, load15] = os.loadavg() as [number, number, number]
    return {
      memory_total: memory.total,
      memory_used: memory.used,
      swap_total: memory.swapTotal,
      swap_used: memory.swapUsed,
      load_average1: load1,
      load_average5: load5,
      load_average15: load15,
      cpu_percent: cpu,
      disk_total: disks.reduce((sum, d) => sum + d.total_space, 0),
      disk_used: disks.reduce((sum, d) => sum + d.used_space, 0),
      disk_details: disks,
    }
  }

  async #cpuPercent(): Promise<number> {
    const line = (await readFile(this.#sources.procStat, 'utf8')).split('\n', 1)[0] ?? ''
    const fields = line.trim().split(/\s+/).slice(1, 9).map(Number)
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] =
      fields
    const total = user + nice + system + idle + iowait + irq + softirq + steal
    const now = { busy: total - idle - iowait, total }
    const last = this.#lastCpu
    this.#lastCpu = now
    if (now.busy <= last.busy) return 0
    if (now.total <= last.total) return 100
    return Math.min(100, ((now.busy - last.busy) / (now.total - last.total)) * 100)
  }

  async #memory(): Promise<{ total: number; used: number; swapTotal: number; swapUsed: number }> {
    const kib = new Map<string, number>()
    for (const line of (await readFile(this.#sources.meminfo, 'utf8')).split('\n')) {
      const match = /^(\w+):\s+(\d+)/.exec(line)
      if (match) kib.set(match[1]!, Number(match[2]) * 1024)
    }
    const get = (key: string): number => kib.get(key) ?? 0
    const total = get('MemTotal')
    const cached = get('Cached') + get('SReclaimable')
    return {
      total,
      used: Math.max(0, total - get('MemFree') - get('Buffers') - cached),
      swapTotal: get('SwapTotal'),
      swapUsed: Math.max(0, get('SwapTotal') - get('SwapFree')),
    }
  }

  async #disks(paths: TaggedPaths): Promise<DiskInfo[]> {
    const [physical, mounts] = await Promise.all([
      this.#physicalFilesystems(),
      readFile(this.#sources.mounts, 'utf8'),
    ])
    const seen = new Set<string>()
    const candidates: { device: string; mountpoint: string }[] = []
    for (const line of mounts.split('\n')) {
      const [device, mountpoint, type] = line.split(' ').map(unescapeMountField)
      if (device === undefined || mountpoint === undefined || type === undefined) continue
      if (!physical.has(type) || type.startsWith('squashfs') || seen.has(device)) continue
      seen.add(device)
      candidates.push({ device, mountpoint })
    }
    const disks = await Promise.all(
      candidates.map(async ({ device, mountpoint }) => {
        try {
          const [fs, st] = await Promise.all([statfs(mountpoint), stat(mountpoint)])
          return {
            dev: st.dev,
            info: {
              device,
              mountpoint,
              total_space: fs.blocks * fs.bsize,
              used_space: (fs.blocks - fs.bfree) * fs.bsize,
              tags: [] as string[],
            },
          }
        } catch {
          // Unmounted meanwhile, or not ours to read: left out, as the reference does.
          return undefined
        }
      }),
    )
    const present = disks.filter((d) => d !== undefined)
    for (const [tag, path] of paths) {
      const dev = await stat(path).then(
        (st) => st.dev,
        () => undefined,
      )
      present.find((d) => d.dev === dev)?.info.tags.push(tag)
    }
    return present.map((d) => d.info)
  }

  /** File system types backed by a device (`/proc/filesystems` without `nodev`), and zfs. */
  async #physicalFilesystems(): Promise<Set<string>> {
    const text = await readFile(this.#sources.filesystems, 'utf8')
    const types = new Set(['zfs'])
    for (const line of text.split('\n')) {
      const [flag, type] = line.split('\t')
      if (flag === '' && type !== undefined && type.trim() !== '') types.add(type.trim())
    }
    return types
  }
}

/** `/proc/self/mounts` writes space, tab, newline and backslash as octal escapes (`\040`). */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, octal: string) =>
    String.fromCharCode(parseInt(octal, 8)),
  )
}
