import { connect } from 'node:net'

/** A response head exactly as its bytes came off the socket: status line and header lines. */
export interface RawHead {
  readonly bytes: Buffer
  readonly statusLine: string
  /** Header lines, split on CRLF only, decoded byte for byte (latin1). */
  readonly lines: readonly string[]
}

/**
 * GETs `url` over a plain socket and returns the response head as raw bytes, before any client
 * library could normalise, reject or re-decode them (fetch and node:http both would).
 */
export function rawResponseHead(
  url: string,
  headers: Record<string, string> = {},
): Promise<RawHead> {
  const target = new URL(url)
  const lines = [
    `GET ${target.pathname}${target.search} HTTP/1.1`,
    `Host: ${target.host}`,
    'Connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ]
  return new Promise((resolve, reject) => {
    const socket = connect(Number(target.port), target.hostname)
    let received = Buffer.alloc(0)
    const finish = (): void => {
      const end = received.indexOf('\r\n\r\n')
      const bytes = end === -1 ? received : received.subarray(0, end)
      socket.destroy()
      const [statusLine = '', ...rest] = bytes.toString('latin1').split('\r\n')
      resolve({ bytes, statusLine, lines: rest })
    }
    socket.on('error', reject)
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      if (received.includes('\r\n\r\n')) finish()
    })
    socket.on('end', finish)
    socket.write(`${lines.join('\r\n')}\r\n\r\n`)
  })
}

/** The values of the header `name` (case-insensitive) among raw header lines. */
export function headerValues(head: RawHead, name: string): string[] {
  const prefix = `${name.toLowerCase()}:`
  return head.lines
    .filter((line) => line.toLowerCase().startsWith(prefix))
    .map((line) => line.slice(prefix.length).trim())
}
