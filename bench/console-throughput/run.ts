// Console throughput (issue 3): lines per second from a flooding server into the console buffer,
// against the same stream read straight from Docker with `docker start -a`, interleaved, same run.
// (`docker logs -f` cannot be the anchor: the containers' json-file log is capped by
// docker.log_config, so it rotates under a flood and the reader loses lines.)
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

import { benchNode, median, waitFor } from '../support/bench-server.js'

const LINES = Number(process.argv[2] ?? 200_000)
const RUNS = Number(process.argv[3] ?? 5)
const LINE = 'x'.repeat(100)
const END = 'FLOOD-END'
const FLOOD = `yes '${LINE}' | head -n ${LINES}; echo ${END}`

const node = await benchNode()
try {
  const { server, runtime } = await node.server(FLOOD)
  const daemonRates: number[] = []
  const anchorRates: number[] = []

  for (let run = 0; run < RUNS; run++) {
    // Daemon: the runtime's whole console pipeline, counted where the console buffer is fed.
    let count = 0
    let first = 0
    let last = 0
    const unsubscribe = server.events.subscribe('console output', (line) => {
      if (line === LINE) {
        if (count === 0) first = performance.now()
        count++
      } else if (line === END) last = performance.now()
    })
    await runtime.power('start')
    await waitFor(server, () => last > 0)
    unsubscribe()
    await waitFor(server, () => server.state === 'offline')
    if (count !== LINES) throw new Error(`daemon lost lines: ${count} of ${LINES}`)
    daemonRates.push(LINES / ((last - first) / 1000))

    // Anchor: a fresh container of the same settings, read with `docker start -a`.
    await runtime.environment.create()
    anchorRates.push(await dockerAttachRate(server.uuid))
  }

  const daemon = median(daemonRates)
  const anchor = median(anchorRates)
  console.log(`console throughput, ${LINES} lines of ${LINE.length} chars, median of ${RUNS}`)
  console.log(`  daemon console buffer : ${Math.round(daemon)} lines/s`)
  console.log(`  docker start -a       : ${Math.round(anchor)} lines/s`)
  console.log(`  daemon / anchor       : ${(daemon / anchor).toFixed(2)}`)
} finally {
  await node.close()
}

async function dockerAttachRate(container: string): Promise<number> {
  const attach = spawn('docker', ['start', '-a', container], {
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  let count = 0
  let first = 0
  let last = 0
  for await (const line of createInterface({ input: attach.stdout })) {
    const text = line.replace(/\r$/, '')
    if (text === LINE) {
      if (count === 0) first = performance.now()
      count++
    } else if (text === END) last = performance.now()
  }
  if (count !== LINES) throw new Error(`docker start -a lost lines: ${count} of ${LINES}`)
  return LINES / ((last - first) / 1000)
}
