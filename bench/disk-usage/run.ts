// Disk usage (issue 5, B4): a fresh walk of `tree100k` through the jail, against `du -sb` warm
// (and `du -s` cold when the page cache can be dropped), interleaved, same run; the event loop's
// p99 delay during the walk.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

import { Jail } from '@node/filesystem-jail'

import { median } from '../support/stats.js'

const DATA = process.argv[2] ?? '/tmp/perfdata'
const RUNS = Number(process.argv[3] ?? 5)
const TREE = path.join(DATA, 'tree100k')
const GENERATOR = fileURLToPath(new URL('../../../shared/tools/gen-perfdata.mjs', import.meta.url))

if (!existsSync(TREE)) {
  console.log(`generating ${TREE} …`)
  execFileSync(process.execPath, [GENERATOR, DATA, '--only=tree100k'], { stdio: 'inherit' })
}

function dropCaches(): boolean {
  spawnSync('sync')
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3\n')
    return true
  } catch {
    return false
  }
}

function timeDu(args: string[]): { ms: number; bytes: number } {
  const started = performance.now()
  const out = execFileSync('du', [...args, TREE], { encoding: 'utf8' })
  return { ms: performance.now() - started, bytes: Number(out.split(/\s/)[0]) }
}

async function timeJail(): Promise<{ ms: number; bytes: number; p99: number }> {
  const jail = await Jail.open(TREE, { diskCheckIntervalMs: 60_000 })
  const delay = monitorEventLoopDelay({ resolution: 5 })
  delay.enable()
  const started = performance.now()
  const bytes = await jail.diskUsage('fresh')
  const ms = performance.now() - started
  delay.disable()
  await jail.close()
  return { ms, bytes, p99: delay.percentile(99) / 1e6 }
}

const warm = { jail: [] as number[], du: [] as number[], p99: [] as number[] }
let bytes = { jail: 0, du: 0 }
await timeJail() // warm the page cache once
for (let run = 0; run < RUNS; run++) {
  const j = await timeJail()
  const d = timeDu(['-sb'])
  warm.jail.push(j.ms)
  warm.p99.push(j.p99)
  warm.du.push(d.ms)
  bytes = { jail: j.bytes, du: d.bytes }
}
console.log(`disk usage of ${TREE} (100,000 files), median of ${RUNS}`)
console.log(`  bytes: jail ${bytes.jail}, du -sb ${bytes.du}`)
console.log(
  `  warm: jail ${median(warm.jail).toFixed(0)} ms, du -sb ${median(warm.du).toFixed(0)} ms, ` +
    `daemon / anchor ${(median(warm.jail) / median(warm.du)).toFixed(2)}; ` +
    `event-loop p99 during the walk ${median(warm.p99).toFixed(1)} ms`,
)
if (dropCaches()) {
  const cold = { jail: [] as number[], du: [] as number[] }
  for (let run = 0; run < Math.min(RUNS, 3); run++) {
    dropCaches()
    cold.jail.push((await timeJail()).ms)
    dropCaches()
    cold.du.push(timeDu(['-s']).ms)
  }
  console.log(
    `  cold: jail ${median(cold.jail).toFixed(0)} ms, du -s ${median(cold.du).toFixed(0)} ms, ` +
      `daemon / anchor ${(median(cold.jail) / median(cold.du)).toFixed(2)}`,
  )
} else {
  console.log('  cold: not measured (cannot write /proc/sys/vm/drop_caches here)')
}
