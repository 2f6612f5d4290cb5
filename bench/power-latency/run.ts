// Power latency (issue 3): start-to-running and stop-to-offline through the daemon's runtime,
// against bare Docker calls on the same container (attach + start until the done line; stop),
// interleaved, same run.
import { FAKE_GAME_SERVER_DONE } from '@node/testkit'

import { benchNode, docker, median, waitFor } from '../support/bench-server.js'

const RUNS = Number(process.argv[2] ?? 7)

const node = await benchNode()
try {
  const { server, runtime } = await node.server('fake-game-server', {
    stop: { type: 'signal', value: 'SIGTERM' },
  })
  const daemonStart: number[] = []
  const daemonStop: number[] = []
  const anchorStart: number[] = []
  const anchorStop: number[] = []

  for (let run = 0; run < RUNS; run++) {
    let t = performance.now()
    await runtime.power('start')
    await waitFor(server, () => server.state === 'running')
    daemonStart.push(performance.now() - t)
    t = performance.now()
    await runtime.power('stop')
    daemonStop.push(performance.now() - t)

    const container = docker.getContainer(server.uuid)
    t = performance.now()
    const stream: NodeJS.ReadWriteStream = await container.attach({
      stream: true,
      stdout: true,
      stderr: true,
    })
    const ready = new Promise<void>((resolve) => {
      let seen = ''
      stream.on('data', (chunk: Buffer) => {
        seen += chunk.toString()
        if (seen.includes(FAKE_GAME_SERVER_DONE)) resolve()
      })
    })
    await container.start()
    await ready
    anchorStart.push(performance.now() - t)
    t = performance.now()
    await container.stop()
    anchorStop.push(performance.now() - t)
    stream.removeAllListeners('data')
    ;(stream as unknown as { destroy(): void }).destroy()
  }

  const row = (name: string, daemon: number[], anchor: number[]) =>
    console.log(
      `  ${name}: daemon ${median(daemon).toFixed(0)} ms, bare docker ${median(anchor).toFixed(0)} ms, ` +
        `daemon / anchor ${(median(daemon) / median(anchor)).toFixed(2)}`,
    )
  console.log(`power latency, median of ${RUNS}`)
  row('start to running', daemonStart, anchorStart)
  row('stop to offline ', daemonStop, anchorStop)
} finally {
  await node.close()
}
