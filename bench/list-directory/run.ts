// B5 list-directory (issue 5): GET /files/list-directory on flat directories of 1k, 10k and 100k
// entries through the real HTTP stack and jail, against a bare readdir + lstat of the same
// directory and `ls -l`, interleaved in the same run. Also the paged form and the longest
// event-loop stall seen while the daemon answered.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'

import { Jail } from '@node/filesystem-jail'
import { Server } from '@node/server-state'
import { buildServerConfiguration } from '@node/server-state/testing'
import { nullLogger } from '@node/shared-kernel'

import { RemoteDownloads } from '../../apps/daemon/src/files/pull/remote-downloads.js'
import { createHttpApp } from '../../apps/daemon/src/http/app.js'
import { filesRoutes } from '../../apps/daemon/src/http/routes/files.routes.js'
import { median } from '../support/stats.js'

const SIZES = (process.argv[2] ?? '1000,10000,100000').split(',').map(Number)
const RUNS = Number(process.argv[3] ?? 5)
const TOKEN = 'bench-token-0123456789abcdef'
const UUID = '0b3f6f5c-8a8e-4a56-9b1e-3c1f4f9e2a01'
// A game server's mix: known extensions, extension-less files, some directories.
const NAMES = ['.txt', '.json', '.yml', '.jar', '.dat', '', '.log', '.properties']

const temp = await mkdtemp(path.join(tmpdir(), 'bench-list-'))
const jail = await Jail.open(temp, { diskCheckIntervalMs: 0 })
const server = new Server({ configuration: buildServerConfiguration(UUID) })
const app = createHttpApp({
  logger: nullLogger,
  settings: () => ({ token: TOKEN, remote: '', allowedOrigins: [], allowPrivateNetwork: false }),
  trustedProxies: [],
  publicRoutes: [],
  routes: [
    filesRoutes<Server>({
      get: (uuid) => (uuid === UUID ? server : undefined),
      jailOf: () => jail,
      disableRemoteDownload: true,
      downloads: new RemoteDownloads(),
      search: () => ({ maxDepth: 8, excludedDirectories: [] }),
      logger: nullLogger,
    }),
  ],
})
const http = createServer(app)
http.listen(0, '127.0.0.1')
await once(http, 'listening')
const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}/api/servers/${UUID}`

async function timed(fn: () => Promise<number>): Promise<{ ms: number; bytes: number }> {
  const start = performance.now()
  const bytes = await fn()
  return { ms: performance.now() - start, bytes }
}

async function daemon(dir: string, query = ''): Promise<number> {
  const res = await fetch(`${base}/files/list-directory?directory=${dir}${query}`, {
    headers: { Authorization: `Bearer ${TOKEN}` },
  })
  if (res.status !== 200) throw new Error(`status ${res.status}`)
  return (await res.arrayBuffer()).byteLength
}

async function bare(dir: string): Promise<number> {
  const names = await readdir(path.join(temp, dir))
  let n = 0
  for (let i = 0; i < names.length; i += 256) {
    const step = names.slice(i, i + 256)
    await Promise.all(step.map((name) => lstat(path.join(temp, dir, name))))
    n += step.length
  }
  return n
}

async function ls(dir: string): Promise<number> {
  const child = spawn('ls', ['-l', path.join(temp, dir)], { stdio: ['ignore', 'pipe', 'ignore'] })
  let bytes = 0
  child.stdout.on('data', (chunk: Buffer) => (bytes += chunk.length))
  await once(child, 'close')
  return bytes
}

try {
  console.log(`list-directory (B5), median of ${RUNS} interleaved runs`)
  for (const size of SIZES) {
    const dir = `flat${size}`
    await mkdir(path.join(temp, dir))
    for (let i = 0; i < size; i += 1000) {
      await Promise.all(
        Array.from({ length: Math.min(1000, size - i) }, (_, j) => {
          const k = i + j
          const file = path.join(temp, dir, `entry-${k}${NAMES[k % NAMES.length]}`)
          return k % 50 === 0 ? mkdir(file) : writeFile(file, `line ${k}\n`)
        }),
      )
    }
    const results = {
      daemon: [] as number[],
      paged: [] as number[],
      bare: [] as number[],
      ls: [] as number[],
    }
    let bytes = 0
    let stallMs = 0
    const delay = monitorEventLoopDelay({ resolution: 5 })
    for (let run = 0; run < RUNS; run++) {
      delay.reset()
      delay.enable()
      const d = await timed(() => daemon(dir))
      delay.disable()
      stallMs = Math.max(stallMs, delay.max / 1e6)
      if (process.env.BENCH_VERBOSE)
        console.log(
          `    run ${run}: ${d.ms.toFixed(0)} ms, stall ${(delay.max / 1e6).toFixed(0)} ms`,
        )
      results.daemon.push(d.ms)
      bytes = d.bytes
      results.paged.push((await timed(() => daemon(dir, '&page=1&per_page=100'))).ms)
      results.bare.push((await timed(() => bare(dir))).ms)
      results.ls.push((await timed(() => ls(dir))).ms)
    }
    const [dm, pm, bm, lm] = [results.daemon, results.paged, results.bare, results.ls].map(median)
    console.log(`  ${size} entries (body ${(bytes / 1024).toFixed(0)} KiB)`)
    console.log(
      `    daemon list-directory : ${dm!.toFixed(1)} ms (longest loop stall ${stallMs.toFixed(1)} ms)`,
    )
    console.log(`    daemon paged (100)    : ${pm!.toFixed(1)} ms`)
    console.log(
      `    bare readdir + lstat  : ${bm!.toFixed(1)} ms   daemon / anchor ${(dm! / bm!).toFixed(2)}`,
    )
    console.log(
      `    ls -l                 : ${lm!.toFixed(1)} ms   daemon / ls -l  ${(dm! / lm!).toFixed(2)}`,
    )
    await rm(path.join(temp, dir), { recursive: true, force: true })
  }
} finally {
  http.closeAllConnections()
  http.close()
  await jail.close()
  await rm(temp, { recursive: true, force: true })
}
