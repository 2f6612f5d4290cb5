import { createInterface } from 'node:readline'

export interface ConsoleClientOptions {
  /** The simulator's URL: it mints the tokens, and its APP_URL is the browser's Origin. */
  readonly simUrl: string
  readonly server: string
  /** The user the token is for (id, uuid or username); default the server's owner. */
  readonly user?: string
  /** Lines typed here are sent as console commands; its end closes the console. */
  readonly input: NodeJS.ReadableStream
  /** Receives each console line (and state changes as `[status: running]`). */
  readonly print: (line: string) => void
}

interface Frame {
  readonly event: string
  readonly args?: readonly string[]
}

/**
 * A server's console as the Panel's browser page opens it: a websocket token from the Panel
 * (`POST /__sim/tokens/websocket`), the socket opened with the Panel's Origin, `auth`, then the
 * console history (`send logs`), live output and state, and each input line as `send command`.
 * A token about to expire is renewed as the page does. Resolves to an exit code: 0 when the input
 * ends or the daemon closes the socket normally, 1 on a refusal.
 */
export async function runConsole(options: ConsoleClientOptions): Promise<number> {
  const sim = options.simUrl.replace(/\/+$/, '')
  const state = (await getJson(`${sim}/__sim/state`)) as { app_url: string }
  const issue = async () =>
    (await postJson(`${sim}/__sim/tokens/websocket`, {
      server: options.server,
      ...(options.user === undefined ? {} : { user: options.user }),
    })) as { token: string; socket: string }
  const first = await issue()
  const socket = new WebSocket(first.socket, { headers: { Origin: state.app_url } })
  const send = (event: string, args?: readonly string[]): void => {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ event, args }))
  }
  const reauthenticate = (): void => {
    issue().then(
      (next) => send('auth', [next.token]),
      (err: unknown) => options.print(`[cannot renew the token: ${(err as Error).message}]`),
    )
  }
  let code = 0
  socket.addEventListener('open', () => send('auth', [first.token]))
  socket.addEventListener('message', (message) => {
    const frame = parseFrame(message.data)
    if (frame === undefined) return
    const [arg = ''] = frame.args ?? []
    switch (frame.event) {
      case 'auth success':
        send('send logs')
        break
      case 'console output':
      case 'install output':
      case 'daemon message':
        options.print(arg)
        break
      case 'status':
        options.print(`[status: ${arg}]`)
        break
      case 'token expiring':
      case 'token expired':
        reauthenticate()
        break
      case 'jwt error':
      case 'daemon error':
        options.print(`[${frame.event}: ${arg}]`)
        if (frame.event === 'jwt error') {
          code = 1
          socket.close()
        }
        break
      default:
    }
  })
  const lines = createInterface({ input: options.input, terminal: false })
  lines.on('line', (line) => send('send command', [line]))
  lines.on('close', () => socket.close(1000))
  return new Promise((resolve) => {
    socket.addEventListener('error', () => {
      options.print(`[cannot reach the console at ${first.socket}]`)
      code = 1
    })
    socket.addEventListener('close', (event) => {
      if (event.code !== 1000 && event.code !== 1005 && code === 0) {
        options.print(`[the daemon closed the console: ${event.code} ${event.reason}]`)
        code = 1
      }
      lines.close()
      resolve(code)
    })
  })
}

function parseFrame(data: unknown): Frame | undefined {
  if (typeof data !== 'string') return undefined
  try {
    const frame = JSON.parse(data) as Frame
    return typeof frame.event === 'string' ? frame : undefined
  } catch {
    return undefined
  }
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url)
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}: ${await res.text()}`)
  return res.json()
}

async function postJson(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`POST ${url} answered ${res.status}: ${await res.text()}`)
  return res.json()
}
