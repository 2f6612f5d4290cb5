// Archives (issue 5, B3) at library level: compressFiles of the 100 top-level dirs of `tree1g`
// against `tar | pigz -1`, and decompressArchive of the level-1 .tgz into an empty dir (with a
// disk limit set) against `pigz -dc | tar -x`; interleaved, same run, medians.
//   pnpm bench archive [DATA=/tmp/perfdata] [RUNS=5]
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { compressFiles, decompressArchive, Jail } from '@node/filesystem-jail'

import { median } from '../support/stats.js'

const DATA = process.argv[2] ?? '/tmp/perfdata'
const RUNS = Number(process.argv[3] ?? 5)
const TREE = path.join(DATA, 'tree1g')
const WORK = path.join(DATA, 'archive-bench')
const GENERATOR = fileURLToPath(new URL('../../../shared/tools/gen-perfdata.mjs', import.meta.url))
const MiB = 1024 * 1024

if (!existsSync(TREE)) {
  console.log(`generating ${TREE} …`)
  execFileSync(process.execPath, [GENERATOR, DATA, '--only=tree1g'], { stdio: 'inherit' })
}

function sh(script: string): number {
  const started = performance.now()
  execFileSync('sh', ['-c', script], { stdio: 'inherit' })
  return performance.now() - started
}

async function main(): Promise<void> {
  const dirs = (await readdir(TREE)).sort()
  const jail = await Jail.open(TREE, { diskCheckIntervalMs: 0 })
  let treeBytes = 0
  for (const d of dirs) {
    for (const f of await readdir(path.join(TREE, d)))
      treeBytes += (await stat(path.join(TREE, d, f))).size
  }
  await rm(WORK, { recursive: true, force: true })
  await mkdir(WORK, { recursive: true })
  const anchorTgz = path.join(WORK, 'anchor.tgz')
  const ratios = { compress: [] as number[], decompress: [] as number[] }
  const times = { c: [] as number[], ca: [] as number[], d: [] as number[], da: [] as number[] }
  for (let run = 0; run < RUNS; run++) {
    // Compress: anchor, then the library (archive written in the tree's root through the jail).
    const ca = sh(`tar -C ${TREE} -cf - ${dirs.join(' ')} | pigz -1 > ${anchorTgz}`)
    let started = performance.now()
    const { path: archive } = await compressFiles(jail, { directory: '', files: dirs })
    const c = performance.now() - started
    const ours = path.join(WORK, 'ours.tgz')
    await rename(path.join(TREE, archive), ours)
    // Decompress: the anchor's archive both times, into empty dirs.
    const outAnchor = path.join(WORK, 'out-anchor')
    const outOurs = path.join(WORK, 'out-ours')
    await mkdir(outAnchor)
    await mkdir(path.join(outOurs), { recursive: true })
    const da = sh(`pigz -dc ${anchorTgz} | tar -x -C ${outAnchor}`)
    await rename(anchorTgz, path.join(outOurs, 'in.tgz'))
    const target = await Jail.open(outOurs, {
      diskCheckIntervalMs: 0,
      diskLimitBytes: 4 * 1024 * MiB,
    })
    started = performance.now()
    await decompressArchive(target, { directory: '', file: 'in.tgz' })
    const d = performance.now() - started
    await target.close()
    if (run === 0) {
      execFileSync('sh', ['-c', `tar -tzf ${ours} > /dev/null`])
      execFileSync('diff', ['-r', '-x', 'in.tgz', outAnchor, outOurs])
      console.log(
        `tree ${(treeBytes / MiB).toFixed(0)} MiB; our .tgz ${((await stat(ours)).size / MiB).toFixed(0)} MiB`,
      )
    }
    await rm(outAnchor, { recursive: true })
    await rm(outOurs, { recursive: true })
    await rm(ours)
    times.c.push(c)
    times.ca.push(ca)
    times.d.push(d)
    times.da.push(da)
    ratios.compress.push(ca / c)
    ratios.decompress.push(da / d)
    console.log(
      `run ${run + 1}: compress ${c.toFixed(0)} ms vs ${ca.toFixed(0)} ms; decompress ${d.toFixed(0)} ms vs ${da.toFixed(0)} ms`,
    )
  }
  await jail.close()
  await rm(WORK, { recursive: true, force: true })
  const rate = (ms: number): string => `${(treeBytes / MiB / (ms / 1000)).toFixed(0)} MiB/s`
  console.log(
    `compress   daemon / anchor = ${median(ratios.compress).toFixed(2)} (daemon ${rate(median(times.c))}, tar|pigz -1 ${rate(median(times.ca))})`,
  )
  console.log(
    `decompress daemon / anchor = ${median(ratios.decompress).toFixed(2)} (daemon ${rate(median(times.d))}, pigz -dc|tar -x ${rate(median(times.da))})`,
  )
}

await main()
