#!/usr/bin/env node
// B4 (shared/BENCHMARKS.md): the disk-usage walk against `du -sb` on the same tree, interleaved,
// medians of N runs, plus the event-loop delay (p99) of this process while the walk runs.
//
//   pnpm build && node packages/filesystem-jail/bench/disk-usage.mjs [--runs=5] [--cold] [DATA_DIR]
//
// DATA_DIR defaults to <repo>/.bench-data/perfdata; tree100k is generated there with
// shared/tools/gen-perfdata.mjs when missing. --cold drops the page cache before each run (root).
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'

const pkg = path.resolve(import.meta.dirname, '..')
const repo = path.resolve(pkg, '..', '..')
const args = process.argv.slice(2)
const runs = Number(args.find((a) => a.startsWith('--runs='))?.slice(7) ?? 5)
const cold = args.includes('--cold')
const dataDir = args.find((a) => !a.startsWith('--')) ?? path.join(repo, '.bench-data', 'perfdata')
const tree = path.join(dataDir, 'tree100k')

const dist = path.join(pkg, 'dist', 'index.js')
if (!existsSync(dist)) {
  console.error('dist/ is missing: run `pnpm build` first')
  process.exit(1)
}
const { Jail } = await import(dist)

if (!existsSync(tree)) {
  const generator = path.resolve(repo, '..', 'shared', 'tools', 'gen-perfdata.mjs')
  console.error(`generating ${tree} with ${generator}`)
  execFileSync(process.execPath, [generator, dataDir, '--only=tree100k'], { stdio: 'inherit' })
}

function dropCaches() {
  spawnSync('sync')
  if (cold) writeFileSync('/proc/sys/vm/drop_caches', '3\n')
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

const MODES = ['openat2', 'walk']
const duTimes = []
const walkTimes = Object.fromEntries(MODES.map((m) => [m, []]))
const lagP99 = Object.fromEntries(MODES.map((m) => [m, []]))
let walkedBytes = 0
let duBytes = 0
for (let i = 0; i < runs; i++) {
  dropCaches()
  const start = performance.now()
  const du = spawnSync('du', ['-sb', tree], { encoding: 'utf8' })
  duTimes.push(performance.now() - start)
  duBytes = Number(du.stdout.split('\t')[0])

  for (const mode of MODES) {
    dropCaches()
    const jail = await Jail.open(tree, { mode, diskCheckIntervalMs: 1 })
    const lag = monitorEventLoopDelay({ resolution: 1 })
    lag.enable()
    const start = performance.now()
    walkedBytes = await jail.diskUsage('fresh')
    walkTimes[mode].push(performance.now() - start)
    lag.disable()
    lagP99[mode].push(lag.percentile(99) / 1e6)
    await jail.close()
  }
}

console.log(`disk usage of ${tree} (${cold ? 'cold' : 'warm'}, ${runs} runs, medians)`)
console.log(`  du -sb          ${median(duTimes).toFixed(1)} ms  (${duBytes} bytes, dirs included)`)
for (const mode of MODES) {
  const ratio = median(walkTimes[mode]) / median(duTimes)
  console.log(
    `  jail (${mode.padEnd(7)}) ${median(walkTimes[mode]).toFixed(1)} ms  (${walkedBytes} bytes, ` +
      `regular files)  ratio ${ratio.toFixed(2)}  event-loop p99 ${median(lagP99[mode]).toFixed(1)} ms`,
  )
}
console.log(`  targets (B4): warm <= 3 x du -sb, cold <= 2 x du -s, event-loop p99 <= 20 ms`)
