// Console fan-out (issue 4): lines/s delivered to 1, 10 and 100 websocket clients through the
// daemon's endpoint (auth, token re-check, permissions, per-socket queues), against a bare `ws`
// broadcast of the same lines (encoded once, corked per tick), same process, same run.
import { randomUUID } from 'node:crypto'
import { createServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'

import { BoundedTokenDenyList, JwtTokenVerifier, WebsocketTokenPolicy } from '@node/jwt'
import { Server } from '@node/server-state'
import { buildServerConfiguration } from '@node/server-state/testing'
import jwt from 'jsonwebtoken'
import { WebSocket, WebSocketServer } from 'ws'

import { WebsocketEndpoint } from '../../apps/daemon/src/websocket/websocket-endpoint.js'
import { median } from '../support/stats.js'

const LINES = Number(process.argv[2] ?? 20_000)
const RUNS = Number(process.argv[3] ?? 5)
const CHUNK = 100
const NODE_TOKEN = 'bench-node-token-'.padEnd(64, 'x')
const ORIGIN = 'https://panel.example.com'
const LINE = 'z'.repeat(100)

const lines = Array.from({ length: LINES }, (_, i) => `${i} ${LINE}`)
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

async function listen(http: HttpServer): Promise<number> {
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  return (http.address() as AddressInfo).port
}

/** Opens `n` clients and resolves once each has counted `LINES` console lines. */
async function clients(url: string, n: number, onOpen?: (ws: WebSocket) => Promise<void>) {
  const sockets: WebSocket[] = []
  const done: Promise<void>[] = []
  for (let i = 0; i < n; i++) {
    const ws = new WebSocket(url, { origin: ORIGIN })
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
    if (onOpen) await onOpen(ws)
    let count = 0
    done.push(
      new Promise((resolve) => {
        ws.on('message', (data: Buffer) => {
          // Lines of this bench start with a digit; other frames (status, stats) do not count.
          if (data.includes('console output') && ++count === LINES) resolve()
        })
      }),
    )
    sockets.push(ws)
  }
  return { sockets, all: Promise.all(done) }
}

async function daemonRun(n: number): Promise<{ rate: number; rss: number }> {
  const uuid = randomUUID()
  const server = new Server({ configuration: buildServerConfiguration(uuid) })
  const denyList = new BoundedTokenDenyList({ bootedAt: Date.now() - 60_000 })
  const tokens = new JwtTokenVerifier({ nodeToken: () => NODE_TOKEN, denyList })
  const endpoint = new WebsocketEndpoint({
    server: (id) => (id === uuid ? server : undefined),
    tokens,
    policy: new WebsocketTokenPolicy({
      denyList,
      acceptsScopeless: () => tokens.acceptsScopeless(),
    }),
    limits: { perServer: n + 1 },
    actions: {
      power: () => Promise.resolve(),
      sendCommand: () => Promise.resolve(),
      isRunning: () => Promise.resolve(true),
      readLog: () => Promise.resolve([]),
    },
    settings: () => ({ remote: ORIGIN, allowedOrigins: [], logCount: 150 }),
    logger: server.logger,
  })
  const http = createServer()
  http.on('upgrade', (req, socket, head) => endpoint.handleUpgrade(req, socket, head))
  const port = await listen(http)
  const now = Math.floor(Date.now() / 1000)
  const token = jwt.sign(
    {
      jti: randomUUID(),
      iat: now,
      nbf: now - 300,
      exp: now + 600,
      server_uuid: uuid,
      permissions: ['*'],
      user_uuid: randomUUID(),
      user_id: 1,
      unique_id: 'bench',
      scope: 'websocket',
    },
    NODE_TOKEN,
    { algorithm: 'HS256' },
  )
  const { sockets, all } = await clients(
    `ws://127.0.0.1:${port}/api/servers/${uuid}/ws`,
    n,
    async (ws) => {
      ws.send(JSON.stringify({ event: 'auth', args: [token] }))
      await new Promise<void>((resolve) =>
        ws.on('message', function onAuth(data: Buffer) {
          if (!data.includes('auth success')) return
          ws.off('message', onAuth)
          resolve()
        }),
      )
    },
  )
  const started = performance.now()
  for (let i = 0; i < LINES; i += CHUNK) {
    for (let j = i; j < i + CHUNK && j < LINES; j++)
      server.events.publish('console output', lines[j]!)
    await tick()
  }
  await all
  const elapsed = performance.now() - started
  const rss = process.memoryUsage().rss
  for (const ws of sockets) ws.terminate()
  endpoint.close()
  http.closeAllConnections()
  await new Promise((resolve) => http.close(resolve))
  return { rate: (LINES * n) / (elapsed / 1000), rss }
}

async function anchorRun(n: number): Promise<number> {
  const http = createServer()
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false })
  const port = await listen(http)
  const { sockets, all } = await clients(`ws://127.0.0.1:${port}/`, n)
  const peers = [...wss.clients]
  const started = performance.now()
  for (let i = 0; i < LINES; i += CHUNK) {
    for (const peer of peers) (peer as unknown as { _socket: { cork(): void } })._socket.cork()
    for (let j = i; j < i + CHUNK && j < LINES; j++) {
      const frame = Buffer.from(
        `${JSON.stringify({ event: 'console output', args: [lines[j]] })}\n`,
      )
      for (const peer of peers) peer.send(frame, { binary: false })
    }
    for (const peer of peers) (peer as unknown as { _socket: { uncork(): void } })._socket.uncork()
    await tick()
  }
  await all
  const elapsed = performance.now() - started
  for (const ws of sockets) ws.terminate()
  wss.close()
  http.closeAllConnections()
  await new Promise((resolve) => http.close(resolve))
  return (LINES * n) / (elapsed / 1000)
}

console.log(`websocket fan-out, ${LINES} lines of ${LINE.length + 6} chars, median of ${RUNS}`)
for (const n of [1, 10, 100]) {
  const daemon: number[] = []
  const anchor: number[] = []
  let rss = 0
  for (let run = 0; run < RUNS; run++) {
    const d = await daemonRun(n)
    daemon.push(d.rate)
    rss = Math.max(rss, d.rss)
    anchor.push(await anchorRun(n))
  }
  console.log(
    `  ${String(n).padStart(3)} clients: daemon ${Math.round(median(daemon))} deliveries/s, ` +
      `bare ws ${Math.round(median(anchor))}, daemon / anchor ${(median(daemon) / median(anchor)).toFixed(2)}` +
      (n === 100 ? `; process RSS ${(rss / 1048576).toFixed(0)} MiB (clients included)` : ''),
  )
}
