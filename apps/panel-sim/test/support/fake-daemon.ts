import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo } from 'node:net'

/** A request the fake daemon received. */
interface DaemonCall {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

type DaemonHandler = (call: DaemonCall, res: ServerResponse) => void | Promise<void>

/**
 * The other party for tests of the simulator's Panel → daemon side: a loopback HTTP server that
 * records every request and answers with a scripted handler (default 204 with a request id).
 */
export interface FakeDaemon extends AsyncDisposable {
  readonly url: string
  readonly calls: DaemonCall[]
  handle(handler: DaemonHandler): void
  close(): Promise<void>
}

export async function startFakeDaemon(): Promise<FakeDaemon> {
  const calls: DaemonCall[] = []
  let handler: DaemonHandler = (_, res) => {
    res.writeHead(204, { 'X-Request-Id': 'req-1' })
    res.end()
  }
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const call = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      }
      calls.push(call)
      Promise.resolve(handler(call, res)).catch(() => res.destroy())
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const close = async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    handle: (h) => (handler = h),
    close,
    [Symbol.asyncDispose]: close,
  }
}

/** Answers JSON with the daemon's request id header. */
export function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'X-Request-Id': 'req-1',
    'Content-Length': Buffer.byteLength(text),
  })
  res.end(text)
}
