import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type RequestListener,
  type Server as HttpServer,
} from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'

import type { ApiListenSettings } from '../config/to-options.js'
import { rejectUpgrade } from '../websocket/websocket-endpoint.js'
import { EXIT_CODES, listenFailure, StartupError } from './startup-error.js'

type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void

/** The API's socket, bound before the daemon does anything else. */
export interface ApiListener {
  readonly server: HttpServer
  /** The base URL as bound (the real port when the configuration says 0). */
  readonly url: string
  readonly port: number
  /** Hands requests and upgrades to the API once the daemon is ready. */
  serve(app: RequestListener, upgrade: UpgradeListener): void
  close(): void
}

const STARTING = JSON.stringify({ error: 'The daemon is starting; try again in a moment.' })

/** What a listener binds: the API's settings, or the metrics listener's (no TLS). */
type ListenSettings = Pick<ApiListenSettings, 'host' | 'port' | 'tls'>

/**
 * Binds the API's address first, so a taken port fails the start before a directory, a user or a
 * container is touched. Until `serve`, requests answer 503 and upgrades are refused. `keys` name
 * the config keys of the address in a failure (the metrics listener binds through here too).
 */
export async function bindApi(listen: ListenSettings, keys?: string): Promise<ApiListener> {
  let handle: RequestListener = (_req, res) => {
    res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '1' }).end(STARTING)
  }
  let upgrade: UpgradeListener = (_req, socket) =>
    rejectUpgrade(socket, 503, 'The daemon is starting')
  const listener: RequestListener = (req, res) => handle(req, res)
  const server = listen.tls ? await httpsServer(listen.tls, listener) : createHttpServer(listener)
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    upgrade(req, socket, head),
  )
  server.listen(listen.port, listen.host)
  try {
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([err]) => Promise.reject(err as Error)),
    ])
  } catch (err) {
    server.close()
    throw listenFailure(err, listen.host, listen.port, keys)
  }
  const port = (server.address() as AddressInfo).port
  const host = listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host
  return {
    server,
    url: `${listen.tls ? 'https' : 'http'}://${host}:${port}`,
    port,
    serve(app, onUpgrade) {
      handle = app
      upgrade = onUpgrade
    },
    close() {
      server.closeAllConnections()
      server.close()
    },
  }
}

async function httpsServer(
  tls: NonNullable<ListenSettings['tls']>,
  listener: RequestListener,
): Promise<HttpServer> {
  const [cert, key] = await Promise.all([readFile(tls.certFile), readFile(tls.keyFile)])
  try {
    return createHttpsServer({ cert, key, minVersion: 'TLSv1.2' }, listener)
  } catch (err) {
    throw new StartupError(
      `api.ssl: the certificate ${tls.certFile} or its key ${tls.keyFile} cannot be used ` +
        `(${(err as Error).message}): give PEM files of one certificate chain and its key`,
      EXIT_CODES.config,
      { cause: err },
    )
  }
}
