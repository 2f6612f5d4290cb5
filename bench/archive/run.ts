// Archives (B1/B2/B3 at library level): the one archive engine of @node/filesystem-jail on the
// 1 GiB `tree1g` against its anchors, interleaved in the same run, medians.
//   compress  compressFiles of the 100 top-level dirs            vs tar -cf - | pigz -1
//   backup    createTarGzStream of the root (links as entries),  vs tar -cf - . | pigz -1
//             SHA-1 of the output computed on the way
//   restore   extractTarGz of the anchor's .tgz into an empty jail vs pigz -dc | tar -x
//   decompress decompressArchive of it (disk limit set)           vs pigz -dc | tar -x
// Also the event loop's worst delay while compressing, the process's CPU seconds and peak RSS.
//   pnpm bench archive [DATA=/tmp/perfdata] [RUNS=5]
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream, existsSync } from 'node:fs'
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'

import {
  compressFiles,
  createTarGzStream,
  decompressArchive,
  extractTarGz,
  Jail,
} from '@node/filesystem-jail'

import { median } from '../support/stats.js'
import { generateTree } from './gen-tree.js'

const DATA = process.argv[2] ?? '/tmp/perfdata'
const RUNS = Number(process.argv[3] ?? 5)
const TREE = path.join(DATA, 'tree1g')
const WORK = path.join(DATA, 'archive-bench')
const MiB = 1024 * 1024

if (!existsSync(TREE)) {
  console.log(`generating ${TREE} …`)
  generateTree(TREE)
}

function sh(script: string): number {
  execFileSync('sync')
  const started = performance.now()
  execFileSync('sh', ['-c', script], { stdio: 'inherit' })
  return performance.now() - started
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  execFileSync('sync')
  const started = performance.now()
  await fn()
  return performance.now() - started
}

async function treeBytes(): Promise<number> {
  let total = 0
  for (const d of await readdir(TREE)) {
    for (const f of await readdir(path.join(TREE, d)))
      total += (await stat(path.join(TREE, d, f))).size
  }
  return total
}

async function main(): Promise<void> {
  const dirs = (await readdir(TREE)).sort()
  const bytes = await treeBytes()
  await rm(WORK, { recursive: true, force: true })
  await mkdir(WORK, { recursive: true })
  const jail = await Jail.open(TREE, { diskCheckIntervalMs: 0 })
  const anchorTgz = path.join(WORK, 'anchor.tgz')
  const t: Record<string, number[]> = {}
  const add = (key: string, ms: number): void => void (t[key] ??= []).push(ms)
  const delays: { max: number; p99: number }[] = []

  for (let run = 0; run < RUNS; run++) {
    // compress: anchor, then the library (written in the tree's root through the jail).
    add('compress-anchor', sh(`tar -C ${TREE} -cf - ${dirs.join(' ')} | pigz -1 > ${anchorTgz}`))
    const delay = monitorEventLoopDelay({ resolution: 5 })
    delay.enable()
    let archive = ''
    add(
      'compress',
      await timed(async () => {
        archive = (await compressFiles(jail, { directory: '', files: dirs })).path
      }),
    )
    delay.disable()
    delays.push({ max: delay.max / 1e6, p99: delay.percentile(99) / 1e6 })
    const ours = path.join(WORK, 'ours.tgz')
    await rename(path.join(TREE, archive), ours)

    // backup: the whole root as a stream, hashed on the way.
    add('backup-anchor', sh(`tar -C ${TREE} -cf - . | pigz -1 > /dev/null`))
    let sha1 = ''
    add(
      'backup',
      await timed(async () => {
        const hash = createHash('sha1')
        for await (const chunk of createTarGzStream(jail, { directory: '', symlinks: true })) {
          hash.update(chunk as Buffer)
        }
        sha1 = hash.digest('hex')
      }),
    )

    // restore and decompress: the anchor's archive, into empty directories.
    for (const kind of ['restore', 'decompress'] as const) {
      const outAnchor = path.join(WORK, 'out-anchor')
      const outOurs = path.join(WORK, 'out-ours')
      await mkdir(outAnchor)
      await mkdir(outOurs)
      add(`${kind}-anchor`, sh(`pigz -dc ${anchorTgz} | tar -x -C ${outAnchor}`))
      const target = await Jail.open(outOurs, {
        diskCheckIntervalMs: 0,
        diskLimitBytes: 4096 * MiB,
      })
      if (kind === 'restore') {
        add(
          kind,
          await timed(() =>
            extractTarGz(target, createReadStream(anchorTgz, { highWaterMark: MiB })),
          ),
        )
      } else {
        await rename(anchorTgz, path.join(outOurs, 'in.tgz'))
        add(kind, await timed(() => decompressArchive(target, { directory: '', file: 'in.tgz' })))
        await rename(path.join(outOurs, 'in.tgz'), anchorTgz)
      }
      await target.close()
      if (run === 0) execFileSync('diff', ['-r', '-x', 'in.tgz', outAnchor, outOurs])
      await rm(outAnchor, { recursive: true })
      await rm(outOurs, { recursive: true })
    }
    if (run === 0) {
      execFileSync('sh', ['-c', `tar -tzf ${ours} > /dev/null`])
      console.log(
        `tree ${(bytes / MiB).toFixed(0)} MiB in 10,000 files; our .tgz ${((await stat(ours)).size / MiB).toFixed(0)} MiB, anchor's ${((await stat(anchorTgz)).size / MiB).toFixed(0)} MiB; backup sha1 ${sha1.slice(0, 12)}…`,
      )
    }
    await rm(ours)
    console.log(
      `run ${run + 1}: ` +
        ['compress', 'backup', 'restore', 'decompress']
          .map(
            (k) => `${k} ${t[k]!.at(-1)!.toFixed(0)} vs ${t[`${k}-anchor`]!.at(-1)!.toFixed(0)} ms`,
          )
          .join('; '),
    )
  }
  await jail.close()
  await rm(WORK, { recursive: true, force: true })
  const rate = (ms: number): string => `${(bytes / MiB / (ms / 1000)).toFixed(0)} MiB/s`
  for (const k of ['compress', 'backup', 'restore', 'decompress']) {
    const ratios = t[k]!.map((ms, i) => t[`${k}-anchor`]![i]! / ms)
    console.log(
      `${k.padEnd(10)} daemon / anchor = ${median(ratios).toFixed(2)} (daemon ${rate(median(t[k]!))}, anchor ${rate(median(t[`${k}-anchor`]!))}; ratios ${ratios.map((r) => r.toFixed(2)).join(' ')})`,
    )
  }
  const usage = process.resourceUsage()
  console.log(
    `event loop while compressing (medians of the runs): max ${median(delays.map((d) => d.max)).toFixed(1)} ms, p99 ${median(delays.map((d) => d.p99)).toFixed(1)} ms; ` +
      `process CPU ${((usage.userCPUTime + usage.systemCPUTime) / 1e6).toFixed(1)} s, peak RSS ${(usage.maxRSS / 1024).toFixed(0)} MiB`,
  )
}

await main()
