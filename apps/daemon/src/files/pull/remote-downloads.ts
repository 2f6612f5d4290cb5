import { randomUUID } from 'node:crypto'
import http, { type IncomingMessage } from 'node:http'
import https from 'node:https'
import { isIP } from 'node:net'
import path from 'node:path'
import { Transform, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import { jailPathIn, type Jail, type JailStats } from '@node/filesystem-jail'
import { nullLogger, type Logger } from '@node/shared-kernel'

import { guardedLookupWith, InternalDestinationError, isInternalAddress } from './address-guard.js'

const PULL_USER_AGENT = 'Pterodactyl Panel (https://pterodactyl.io)'
export const MAX_DOWNLOADS_PER_SERVER = 3
const DEFAULT_MAX_REDIRECTS = 10
const DEFAULT_TIMEOUT_MS = 12 * 60 * 60 * 1000

export interface RemoteDownloadsOptions {
  readonly logger?: Logger
  /** Redirects followed, each re-checked (Pelican's `api.remote_download.max_redirects`). */
  readonly maxRedirects?: number
  readonly timeoutMs?: number
  /**
   * Internal addresses a download may reach anyway: `true` for all, or a predicate. Only for
   * tests against a local server; default none.
   */
  readonly allowInternalAddresses?: boolean | ((address: string) => boolean)
}

export interface PullRequest {
  readonly url: URL
  /** Target directory inside the jail. */
  readonly directory: string
  readonly fileName?: string
  /** Take the name from the response's `Content-Disposition`. */
  readonly useHeader?: boolean
}

export interface PullResult {
  readonly path: string
  readonly name: string
  readonly stats: JailStats
}

/** One download in flight. */
export class RemoteDownload {
  readonly id = randomUUID()
  readonly serverKey: string
  readonly done: Promise<PullResult>
  readonly #controller = new AbortController()
  #received = 0
  #expected = 0

  constructor(serverKey: string, run: (download: RemoteDownload) => Promise<PullResult>) {
    this.serverKey = serverKey
    this.done = run(this)
  }

  get signal(): AbortSignal {
    return this.#controller.signal
  }

  /** 0-1: bytes received over `Content-Length`. */
  get progress(): number {
    return this.#expected > 0 ? Math.min(1, this.#received / this.#expected) : 0
  }

  cancel(): void {
    this.#controller.abort(new Error('downloader: download cancelled'))
  }

  /** @internal */
  expect(bytes: number): void {
    this.#expected = bytes
  }

  /** @internal */
  receive(bytes: number): void {
    this.#received += bytes
  }
}

/**
 * The node's remote downloads (http-api §7.11, behaviour §12): http and https only, every
 * address connected to (after each redirect too) checked against internal ranges, the size
 * admitted by the jail's quota from `Content-Length`, progress kept, cancellable. The written
 * file lands atomically: a failed or cancelled download leaves nothing behind.
 */
export class RemoteDownloads {
  readonly #downloads = new Map<string, RemoteDownload>()
  readonly #logger: Logger
  readonly #maxRedirects: number
  readonly #timeoutMs: number
  readonly #refuse: (address: string | undefined) => boolean
  readonly #lookup: ReturnType<typeof guardedLookupWith>

  constructor(options: RemoteDownloadsOptions = {}) {
    this.#logger = options.logger ?? nullLogger
    this.#maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    const allow = options.allowInternalAddresses ?? false
    const allowed = typeof allow === 'function' ? allow : () => allow
    this.#refuse = (address) =>
      address === undefined || (isInternalAddress(address) && !allowed(address))
    this.#lookup = guardedLookupWith(this.#refuse)
  }

  list(serverKey: string): RemoteDownload[] {
    return [...this.#downloads.values()].filter((d) => d.serverKey === serverKey)
  }

  /** Registers and starts a download; it is listed until it settles. */
  start(serverKey: string, jail: Jail, request: PullRequest): RemoteDownload {
    const download = new RemoteDownload(serverKey, (d) => this.#run(d, jail, request))
    this.#downloads.set(download.id, download)
    const forget = (): void => {
      this.#downloads.delete(download.id)
    }
    download.done.then(forget, forget)
    return download
  }

  /** Cancels `id` when it belongs to `serverKey`; anything else is ignored. */
  cancel(serverKey: string, id: string): void {
    const download = this.#downloads.get(id)
    if (download?.serverKey === serverKey) download.cancel()
  }

  /** Every download of the server stops (it is being deleted: http-api §6.2 step 4). */
  cancelAll(serverKey: string): void {
    for (const download of this.list(serverKey)) download.cancel()
  }

  async #run(download: RemoteDownload, jail: Jail, request: PullRequest): Promise<PullResult> {
    const signal = AbortSignal.any([download.signal, AbortSignal.timeout(this.#timeoutMs)])
    const { response, url } = await this.#follow(request.url, signal)
    try {
      if (response.statusCode !== 200) {
        throw new Error(`downloader: got bad response status from endpoint: ${response.statusCode}`)
      }
      const length = Number(response.headers['content-length'] ?? 0)
      if (!Number.isSafeInteger(length) || length <= 0) {
        throw new Error('downloader: request is missing ContentLength')
      }
      download.expect(length)
      const name = targetName(request, response, url)
      const target = jailPathIn(request.directory, name)
      const writer = await jail.openWrite(target, { size: length })
      try {
        await pipeline(response, countBytes(download, length), writer, { signal })
      } catch (error) {
        // Settles once the temporary file is gone: a failed pull never shows half a file.
        await writer.discard()
        throw error
      }
      this.#logger.info('remote file downloaded', { url: request.url.href, path: target })
      return { path: target, name, stats: writer.stats ?? (await jail.stat(target)) }
    } finally {
      response.destroy()
    }
  }

  /** GETs `url`, following redirects with the same checks, up to the limit. */
  async #follow(url: URL, signal: AbortSignal): Promise<{ response: IncomingMessage; url: URL }> {
    let current = url
    for (let hop = 0; ; hop++) {
      const response = await this.#get(current, signal)
      const location = response.headers.location
      const status = response.statusCode ?? 0
      if (status < 300 || status >= 400 || location === undefined) return { response, url: current }
      response.destroy()
      if (hop >= this.#maxRedirects) throw new Error('downloader: too many redirects')
      current = checkedUrl(new URL(location, current))
    }
  }

  #get(url: URL, signal: AbortSignal): Promise<IncomingMessage> {
    const host = url.hostname.replace(/^\[|\]$/g, '')
    const refuse = this.#refuse
    return new Promise((resolve, reject) => {
      const client = url.protocol === 'https:' ? https : http
      const req = client.request(url, {
        method: 'GET',
        headers: { 'User-Agent': PULL_USER_AGENT },
        agent: false,
        signal,
        lookup: this.#lookup,
      })
      req.on('socket', (socket) => {
        // The address actually connected to, checked before a byte is sent: IP literals skip
        // `lookup`, and this also holds whatever a resolver answered.
        socket.prependOnceListener('connect', () => {
          if (refuse(socket.remoteAddress)) req.destroy(new InternalDestinationError())
        })
      })
      req.on('response', resolve)
      req.on('error', reject)
      if (isIP(host) !== 0 && refuse(host)) {
        req.destroy(new InternalDestinationError())
        return
      }
      req.end()
    })
  }
}

/** Accepts only http and https URLs; the error text follows Go's client. */
export function checkedUrl(url: URL): URL {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`unsupported protocol scheme "${url.protocol.replace(/:$/, '')}"`)
  }
  return url
}

/** The written file's base name: the header's, the client's, else the last segment of the URL
 * finally fetched (after redirects). */
function targetName(
  request: PullRequest,
  response: IncomingMessage,
  finalUrl: URL = request.url,
): string {
  let name: string | undefined
  if (request.useHeader === true) name = dispositionName(response.headers['content-disposition'])
  if (!name && request.fileName) name = request.fileName
  if (!name) name = decodeSegment(finalUrl.pathname.split('/').pop() ?? '')
  const base = path.posix.basename(name.replaceAll('\\', '/'))
  if (base === '' || base === '.' || base === '..') {
    throw new Error('downloader: could not determine a file name')
  }
  return base
}

function dispositionName(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header)
  if (extended) return decodeSegment(extended[1]!.trim())
  const quoted = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/.exec(header)
  if (quoted) return quoted[1]!.replace(/\\(.)/g, '$1')
  const plain = /filename\s*=\s*([^;\s]+)/.exec(header)
  return plain?.[1]
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

function countBytes(download: RemoteDownload, limit: number): Transform {
  let seen = 0
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      seen += chunk.length
      if (seen > limit) {
        done(new Error('downloader: response longer than its Content-Length'))
        return
      }
      download.receive(chunk.length)
      done(null, chunk)
    },
  })
}
