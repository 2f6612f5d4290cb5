import { createHash } from 'node:crypto'
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http'
import https from 'node:https'

import { phpJson } from './php-json.js'

/** What the Panel would answer its own caller after a failed daemon call (panel-contract.md A.1). */
export interface PanelViewError {
  readonly status: number
  readonly code: string
  readonly message: string
  /** The Panel's JSON envelope for API callers. */
  readonly body: { readonly errors: readonly { code: string; status: string; detail: string }[] }
}

/** One daemon answer, raw and as the Panel reads it. */
export interface DaemonResponse<T = unknown> {
  /** 0 when no response arrived (connection error or timeout). */
  readonly status: number
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>
  /** Parsed JSON when the body is JSON; the text otherwise; undefined when empty. */
  readonly body: T
  readonly rawBody: Buffer
  /** The daemon's `X-Request-Id` ("" when missing, as the Panel prints it). */
  readonly requestId: string
  /** The transport error when there was no response. */
  readonly error: Error | null
  /** null when the Panel treats the outcome as success; otherwise what the Panel would answer. */
  readonly panelError: PanelViewError | null
}

export interface DaemonClientOptions {
  /** The node's connection address, e.g. `http://127.0.0.1:8080`. */
  readonly url: string
  /** The node's `daemon_token`. */
  readonly token: string
  /** `APP_ENV=production`: verify TLS certificates (otherwise any certificate is accepted). */
  readonly verifyTls?: boolean
  /** `GUZZLE_TIMEOUT`, default 15 s. */
  readonly timeoutMs?: number
  /** `GUZZLE_CONNECT_TIMEOUT`, default 5 s. */
  readonly connectTimeoutMs?: number
}

export interface DaemonRequest {
  /** Sent PHP-encoded as JSON. */
  readonly json?: unknown
  /** Sent verbatim (still labelled `application/json`, as the Panel does for `files/write`). */
  readonly raw?: string | Buffer
  readonly query?: Readonly<Record<string, string>>
  readonly timeoutMs?: number
  /** How the Panel handles errors of this call (A.1); default status pass-through. */
  readonly errors?: ErrorHandling
}

type ErrorHandling =
  | { readonly kind: 'pass-through'; readonly ignore?: readonly number[] }
  | { readonly kind: 'no-pass-through' }
  | { readonly kind: 'command' }

export type PowerAction = 'start' | 'stop' | 'restart' | 'kill'

const EXPECT_THRESHOLD = 1024 * 1024
const MAX_REDIRECTS = 5
/** `PTERODACTYL_FILES_MAX_EDIT_SIZE`. */
const MAX_EDIT_SIZE = 4_194_304
const LONG_TIMEOUT_MS = 900_000

/**
 * Drives a daemon the way the Panel's DaemonRepository classes do: one Guzzle-like request per
 * call (fresh connection, the Panel's headers, PHP JSON, RFC 3986 query encoding, 15 s budget),
 * returning the raw answer plus the Panel's reading of it.
 */
export class DaemonClient {
  readonly #options: DaemonClientOptions

  constructor(options: DaemonClientOptions) {
    this.#options = options
  }

  get url(): string {
    return this.#options.url.replace(/\/+$/, '')
  }

  /** #1, #2. */
  getSystem(version?: 2): Promise<DaemonResponse> {
    return this.request('GET', '/api/system', version === 2 ? { query: { v: '2' } } : {})
  }

  /** #3: the node configuration JSON of `POST /api/update`. */
  updateConfiguration(configuration: unknown): Promise<DaemonResponse> {
    return this.request('POST', '/api/update', { json: configuration })
  }

  /** #4. */
  createServer(
    uuid: string,
    options: { startOnCompletion?: boolean } = {},
  ): Promise<DaemonResponse> {
    return this.request('POST', '/api/servers', {
      json: { uuid, start_on_completion: options.startOnCompletion ?? false },
    })
  }

  /** #5; a 404 is success for the Panel. */
  deleteServer(uuid: string): Promise<DaemonResponse> {
    return this.request('DELETE', `/api/servers/${uuid}`, {
      errors: { kind: 'pass-through', ignore: [404] },
    })
  }

  /** #6. */
  syncServer(uuid: string): Promise<DaemonResponse> {
    return this.request('POST', `/api/servers/${uuid}/sync`)
  }

  /** #7. */
  reinstallServer(uuid: string): Promise<DaemonResponse> {
    return this.request('POST', `/api/servers/${uuid}/reinstall`)
  }

  /** #8. */
  power(uuid: string, action: PowerAction): Promise<DaemonResponse> {
    return this.request('POST', `/api/servers/${uuid}/power`, { json: { action } })
  }

  /** #9; the Panel turns a 502 into "Server must be online in order to send commands.". */
  sendCommand(uuid: string, command: string): Promise<DaemonResponse> {
    return this.request('POST', `/api/servers/${uuid}/commands`, {
      json: { commands: [command] },
      errors: { kind: 'command' },
    })
  }

  /** #10; any failure is a 504 for the Panel. */
  getServer(uuid: string): Promise<DaemonResponse> {
    return this.request('GET', `/api/servers/${uuid}`, { errors: { kind: 'no-pass-through' } })
  }

  /** #11 with the JTIs given. */
  denyJtis(uuid: string, jtis: readonly string[]): Promise<DaemonResponse> {
    return this.request('POST', `/api/servers/${uuid}/ws/deny`, { json: { jtis } })
  }

  /** #11 as the Panel sends it: one md5(user id . server uuid) per call. */
  revokeUserJti(uuid: string, userId: number): Promise<DaemonResponse> {
    return this.denyJtis(uuid, [createHash('md5').update(`${userId}${uuid}`).digest('hex')])
  }

  /** Panel 1.12's `POST /api/deauthorize-user` (`servers` empty = every server of the node). */
  deauthorizeUser(userUuid: string, servers: readonly string[] = []): Promise<DaemonResponse> {
    return this.request('POST', '/api/deauthorize-user', { json: { user: userUuid, servers } })
  }

  /** #12, sent to the source node (body as A.6). */
  startTransfer(uuid: string, body: TransferRequestBody): Promise<DaemonResponse> {
    return this.request('POST', `/api/servers/${uuid}/transfer`, { json: body })
  }

  /** #13. */
  listDirectory(uuid: string, directory = '/'): Promise<DaemonResponse> {
    return this.request('GET', `/api/servers/${uuid}/files/list-directory`, {
      query: { directory },
    })
  }

  /** #14; a body over 4 MiB (by `Content-Length`) is refused by the Panel with 400. */
  async getFileContents(uuid: string, file: string): Promise<DaemonResponse> {
    const response = await this.request('GET', `/api/servers/${uuid}/files/contents`, {
      query: { file },
    })
    const length = Number(response.headers['content-length'] ?? 0)
    if (response.panelError === null && response.status > 0 && length > MAX_EDIT_SIZE) {
      return {
        ...response,
        panelError: panelView(
          400,
          'FileSizeTooLargeException',
          'The file you are attempting to open is too large to view in the file editor.',
        ),
      }
    }
    return response
  }

  /** #15: raw bytes labelled `application/json`. */
  writeFile(uuid: string, file: string, content: string | Buffer): Promise<DaemonResponse> {
    return this.request('POST', `/api/servers/${uuid}/files/write`, {
      query: { file },
      raw: content,
    })
  }

  /** #16 (note the key is `path`). */
  createDirectory(uuid: string, name: string, path = '/'): Promise<DaemonResponse> {
    return this.request('POST', `/api/servers/${uuid}/files/create-directory`, {
      json: { name, path },
    })
  }

  /** #17. */
  renameFiles(
    uuid: string,
    root: string,
    files: readonly { from: string; to: string }[],
  ): Promise<DaemonResponse> {
    return this.request('PUT', `/api/servers/${uuid}/files/rename`, { json: { root, files } })
  }

  /** #18. */
  copyFile(uuid: string, location: string): Promise<DaemonResponse> {
    return this.request('POST', `/api/servers/${uuid}/files/copy`, { json: { location } })
  }

  /** #19. */
  deleteFiles(uuid: string, root: string, files: readonly string[]): Promise<DaemonResponse> {
    return this.request('POST', `/api/servers/${uuid}/files/delete`, { json: { root, files } })
  }

  /** #20 (900 s budget). */
  compressFiles(uuid: string, root: string, files: readonly string[]): Promise<DaemonResponse> {
    return this.request('POST', `/api/servers/${uuid}/files/compress`, {
      json: { root, files },
      timeoutMs: LONG_TIMEOUT_MS,
    })
  }

  /** #21 (900 s budget). */
  decompressFile(uuid: string, root: string, file: string): Promise<DaemonResponse> {
    return this.request('POST', `/api/servers/${uuid}/files/decompress`, {
      json: { root, file },
      timeoutMs: LONG_TIMEOUT_MS,
    })
  }

  /** #22. */
  chmodFiles(
    uuid: string,
    root: string,
    files: readonly { file: string; mode: string }[],
  ): Promise<DaemonResponse> {
    return this.request('POST', `/api/servers/${uuid}/files/chmod`, { json: { root, files } })
  }

  /** #23: only non-null keys are sent, renamed as the Panel renames them; `root` always. */
  pullFile(
    uuid: string,
    options: {
      url: string
      directory?: string
      filename?: string
      useHeader?: boolean
      foreground?: boolean
    },
  ): Promise<DaemonResponse> {
    const body: Record<string, unknown> = { url: options.url, root: options.directory ?? '/' }
    if (options.filename !== undefined) body['file_name'] = options.filename
    if (options.useHeader !== undefined) body['use_header'] = options.useHeader
    if (options.foreground !== undefined) body['foreground'] = options.foreground
    return this.request('POST', `/api/servers/${uuid}/files/pull`, { json: body })
  }

  /** #24. */
  createBackup(
    uuid: string,
    body: { adapter: 'wings' | 's3'; uuid: string; ignore: string },
  ): Promise<DaemonResponse> {
    return this.request('POST', `/api/servers/${uuid}/backup`, {
      json: { adapter: body.adapter, uuid: body.uuid, ignore: body.ignore },
    })
  }

  /** #25. */
  restoreBackup(
    uuid: string,
    backupUuid: string,
    body: { adapter: 'wings' | 's3'; truncateDirectory: boolean; downloadUrl: string },
  ): Promise<DaemonResponse> {
    return this.request('POST', `/api/servers/${uuid}/backup/${backupUuid}/restore`, {
      json: {
        adapter: body.adapter,
        truncate_directory: body.truncateDirectory,
        download_url: body.downloadUrl,
      },
    })
  }

  /** #26; a 404 is success for the Panel. */
  deleteBackup(uuid: string, backupUuid: string): Promise<DaemonResponse> {
    return this.request('DELETE', `/api/servers/${uuid}/backup/${backupUuid}`, {
      errors: { kind: 'pass-through', ignore: [404] },
    })
  }

  /** Any request, with the Panel's transport rules. */
  async request(
    method: string,
    path: string,
    options: DaemonRequest = {},
  ): Promise<DaemonResponse> {
    let url = new URL(this.url + path)
    if (options.query) url.search = rfc3986Query(options.query)
    let body: Buffer | undefined =
      options.raw !== undefined
        ? Buffer.from(options.raw)
        : options.json !== undefined
          ? Buffer.from(phpJson(options.json))
          : undefined
    let currentMethod = method
    const deadline = Date.now() + (options.timeoutMs ?? this.#options.timeoutMs ?? 15_000)
    for (let redirects = 0; ; redirects++) {
      const outcome = await this.#send(currentMethod, url, body, deadline)
      if ('error' in outcome) return withPanelView(emptyResponse(outcome.error), options.errors)
      const location = outcome.response.headers['location']
      if (
        outcome.response.status >= 300 &&
        outcome.response.status < 400 &&
        location !== undefined
      ) {
        if (redirects >= MAX_REDIRECTS) {
          // Guzzle raises "too many redirects" with a 3xx response: the Panel answers 502.
          return {
            ...outcome.response,
            panelError: panelView(
              502,
              'DaemonConnectionException',
              serverErrorText(outcome.response),
            ),
          }
        }
        url = new URL(location, url)
        if (outcome.response.status <= 303 && currentMethod !== 'GET' && currentMethod !== 'HEAD') {
          currentMethod = 'GET'
          body = undefined
        }
        continue
      }
      return withPanelView(outcome.response, options.errors)
    }
  }

  #send(
    method: string,
    url: URL,
    body: Buffer | undefined,
    deadline: number,
  ): Promise<{ response: DaemonResponse } | { error: Error }> {
    const headers: OutgoingHttpHeaders = {
      'User-Agent': 'GuzzleHttp/7',
      Authorization: `Bearer ${this.#options.token}`,
      Accept: 'application/json',
      'Content-Type': 'application/json',
    }
    if (body !== undefined || method === 'POST' || method === 'PUT' || method === 'PATCH') {
      headers['Content-Length'] = String(body?.length ?? 0)
    }
    if (body !== undefined && body.length >= EXPECT_THRESHOLD) headers['Expect'] = '100-Continue'
    const transport = url.protocol === 'https:' ? https : http
    return new Promise((resolve) => {
      let settled = false
      const settle = (value: { response: DaemonResponse } | { error: Error }) => {
        if (settled) return
        settled = true
        clearTimeout(total)
        clearTimeout(connect)
        resolve(value)
      }
      const req = transport.request(url, {
        method,
        headers,
        agent: false,
        rejectUnauthorized: this.#options.verifyTls ?? false,
      })
      const total = setTimeout(
        () => req.destroy(new Error('operation timed out')),
        Math.max(0, deadline - Date.now()),
      )
      const connect = setTimeout(
        () => req.destroy(new Error('connection timed out')),
        this.#options.connectTimeoutMs ?? 5_000,
      )
      req.on('socket', (socket) => {
        const connected = () => clearTimeout(connect)
        if (socket.connecting)
          socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', connected)
        else connected()
      })
      req.on('error', (error) => settle({ error }))
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', (error) => settle({ error }))
        res.on('end', () => settle({ response: toResponse(res, Buffer.concat(chunks)) }))
      })
      if (headers['Expect'] !== undefined && body !== undefined) {
        // Like curl: send the body on `100 Continue`, or after a second without an answer.
        const fallback = setTimeout(() => req.end(body), 1000)
        req.once('continue', () => {
          clearTimeout(fallback)
          req.end(body)
        })
        req.once('response', () => clearTimeout(fallback))
        req.flushHeaders()
      } else {
        req.end(body)
      }
    })
  }
}

/** Body of #12 (panel-contract.md A.6). */
export interface TransferRequestBody {
  readonly server_id: string
  readonly url: string
  /** `Bearer <jwt>`, prefix included. */
  readonly token: string
  readonly server: { readonly uuid: string; readonly start_on_completion: boolean }
}

function toResponse(res: IncomingMessage, rawBody: Buffer): DaemonResponse {
  const headers: Record<string, string> = {}
  for (const [key, value] of Object.entries(res.headers)) {
    if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value
  }
  return {
    status: res.statusCode ?? 0,
    headers,
    body: parseBody(rawBody, headers['content-type']),
    rawBody,
    requestId: headers['x-request-id'] ?? '',
    error: null,
    panelError: null,
  }
}

function emptyResponse(error: Error): DaemonResponse {
  return {
    status: 0,
    headers: {},
    body: undefined,
    rawBody: Buffer.alloc(0),
    requestId: '',
    error,
    panelError: null,
  }
}

function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined
  const text = raw.toString('utf8')
  if (contentType?.includes('json') || /^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text) as unknown
    } catch {
      return text
    }
  }
  return text
}

const NO_CONNECTION =
  'Could not establish a connection to the machine running this server. Please try again.'

function serverErrorText(response: DaemonResponse): string {
  return `There was an error while communicating with the machine running this server. This error has been logged, please try again. (code: ${response.status}) (request_id: ${response.requestId})`
}

function panelView(status: number, code: string, message: string): PanelViewError {
  return {
    status,
    code,
    message,
    body: { errors: [{ code, status: String(status), detail: message }] },
  }
}

/** DaemonConnectionException's rules plus the call-site exceptions of A.1. */
function withPanelView(
  response: DaemonResponse,
  handling: ErrorHandling = { kind: 'pass-through' },
): DaemonResponse {
  if (response.status > 0 && response.status < 400) return response
  if (handling.kind === 'pass-through' && handling.ignore?.includes(response.status))
    return response
  if (handling.kind === 'command' && response.status === 502) {
    return {
      ...response,
      panelError: panelView(
        502,
        'HttpException',
        'Server must be online in order to send commands.',
      ),
    }
  }
  if (response.status === 0) {
    return { ...response, panelError: panelView(504, 'DaemonConnectionException', NO_CONNECTION) }
  }
  let message = serverErrorText(response)
  if (response.status < 500) {
    const error = (response.body as { error?: unknown } | undefined)?.error
    if (typeof error === 'string') {
      message = `An error occurred on the remote host: ${error}. (request id: ${response.requestId})`
    }
  }
  if (handling.kind === 'no-pass-through') {
    return {
      ...response,
      panelError: panelView(504, 'DaemonConnectionException', serverErrorText(response)),
    }
  }
  return {
    ...response,
    panelError: panelView(response.status, 'DaemonConnectionException', message),
  }
}

/** `http_build_query(..., PHP_QUERY_RFC3986)`: every byte but `A-Za-z0-9-_.~` percent-encoded. */
function rfc3986Query(query: Readonly<Record<string, string>>): string {
  const encode = (s: string) =>
    encodeURIComponent(s).replace(
      /[!'()*]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    )
  return Object.entries(query)
    .map(([k, v]) => `${encode(k)}=${encode(v)}`)
    .join('&')
}
