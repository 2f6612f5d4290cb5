import http, { validateHeaderName, validateHeaderValue } from 'node:http'
import https from 'node:https'

import type {
  ActivityEntry,
  BackupStatus,
  BackupUploadParts,
  InstallationScript,
  InstallationStatus,
  PanelGateway,
  ServerConfiguration,
  ServerListEntry,
  SftpAuthRequest,
  SftpAuthResult,
} from '@node/server-state'
import {
  DeniedError,
  InvalidError,
  NotFoundError,
  nullLogger,
  type Clock,
  type Logger,
} from '@node/shared-kernel'

import { PANEL_BACKOFF, type BackoffOptions } from './exponential-backoff.js'
import {
  decodePanelError,
  formatPanelError,
  PanelCallError,
  type PanelErrorResponse,
} from './panel-call-error.js'
import {
  parseBackupUploadParts,
  parseInstallationScript,
  parseSftpAuthResult,
} from './parse-remote-responses.js'
import { parseServerConfiguration } from './parse-server-configuration.js'
import { parseServerListPage, type ServerListPage } from './parse-server-list-page.js'
import { retryWithBackoff } from './retry-with-backoff.js'
import { ResponseTooLargeError, sendRequest, type HttpResponse } from './send-request.js'

export interface HttpPanelGatewayOptions {
  /** The node's `remote`: the Panel's base URL. A trailing `/` is dropped, `/api/remote` added. */
  readonly baseUrl: string
  /** The node's `token_id`. */
  readonly tokenId: string
  /** The node's `token`. */
  readonly token: string
  /** `remote_query.timeout` in milliseconds: the limit for one whole exchange (one attempt). */
  readonly timeoutMs: number
  /** The daemon version for `User-Agent: Pterodactyl Wings/v<version> (id:<token_id>)`. */
  readonly userAgentVersion: string
  readonly logger?: Logger
  /** Pelican's `remote_query.custom_headers`; they cannot replace the four headers of §1. */
  readonly customHeaders?: Readonly<Record<string, string>>
  /** `--ignore-certificate-errors`: accept any TLS certificate from the Panel. */
  readonly ignoreCertificateErrors?: boolean
  /** Overrides of the §1.1 schedule (tests use short intervals). */
  readonly retry?: Partial<BackoffOptions>
  /** Larger answers fail the call. Default 64 MiB. */
  readonly maxResponseBytes?: number
}

const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
const MAX_REDIRECTS = 10
/** Boot pages fetched at once; the reference starts them all, this bounds sockets on huge nodes. */
const PAGE_CONCURRENCY = 8
/** More pages than this is a broken envelope, not a node (at 50 per page: half a million servers). */
const MAX_PAGES = 10_000
const SFTP_USERNAME = /^(.+)\.([a-z0-9]{8})$/i
/** The reference's texts for the two outcomes callers act on. */
const SERVER_NOT_FOUND = 'server does not exist on remote system'
const INVALID_CREDENTIALS = 'the credentials provided were invalid'
/**
 * Real time with timers that keep the process alive: a boot waiting between two attempts has
 * nothing else holding the event loop (shared-kernel's systemClock unrefs its timers).
 */
const clock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms)
    return () => clearTimeout(timer)
  },
}
/** Headers of §1 that custom headers may not replace. */
const RESERVED_HEADERS = new Set(['authorization', 'accept', 'content-type', 'user-agent'])

interface CallSpec<T> {
  /** Verb phrase for error messages: `fetch server configuration`. */
  readonly action: string
  readonly method: 'GET' | 'POST'
  /** Path under `/api/remote`, query included. */
  readonly path: string
  /** POST only; undefined sends the literal `null` as the reference does for no-data POSTs. */
  readonly body?: unknown
  /** Reads the 2xx JSON body; absent when the answer carries nothing of use. */
  readonly parse?: (json: unknown) => T
  /** Turns a final failure into the error the port promises (NotFoundError, DeniedError). */
  readonly mapError?: (error: PanelCallError) => Error
  readonly signal?: AbortSignal | undefined
}

/** The Panel answered with a status outside 2xx; retried unless 4xx. */
class ErrorStatus extends Error {
  readonly response: PanelErrorResponse

  constructor(response: PanelErrorResponse) {
    super(formatPanelError(response))
    this.response = response
  }
}

/** One attempt ran past `timeoutMs`; counts as a network error (retried). */
class AttemptTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`the Panel did not answer within ${timeoutMs} ms`)
    this.name = 'AttemptTimeoutError'
  }
}

/**
 * The PanelGateway port over the Panel's remote API (spec/panel-remote-calls.md), on node:http.
 * Every call sends the headers of §1, retries network errors, 3xx and 5xx with the backoff of
 * §1.1 (never 4xx, never the caller's cancellation, which rejects with `signal.reason`), and
 * fails with a PanelCallError naming the call; 404 on a server lookup is a NotFoundError, a 4xx on
 * SFTP authentication a DeniedError. Call `close()` to release pooled connections.
 */
export class HttpPanelGateway implements PanelGateway {
  readonly #base: string
  readonly #headers: Readonly<Record<string, string>>
  readonly #timeoutMs: number
  readonly #logger: Logger
  readonly #backoff: BackoffOptions
  readonly #maxResponseBytes: number
  readonly #agent: { readonly http: http.Agent; readonly https: https.Agent }

  constructor(options: HttpPanelGatewayOptions) {
    const [problem] = panelConnectionProblems(options)
    if (problem) throw new TypeError(`The Panel ${problem.field}: ${problem.problem}.`)
    this.#base = `${options.baseUrl.trim().replace(/\/+$/, '')}/api/remote`
    if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
      throw new RangeError(
        `The Panel timeout must be a positive number of ms, not ${options.timeoutMs}.`,
      )
    }
    this.#timeoutMs = options.timeoutMs
    this.#headers = {
      ...customHeaders(options.customHeaders ?? {}),
      'User-Agent': `Pterodactyl Wings/v${options.userAgentVersion} (id:${options.tokenId})`,
      Accept: 'application/vnd.pterodactyl.v1+json',
      'Content-Type': 'application/json',
      Authorization: `Bearer ${options.tokenId}.${options.token}`,
    }
    this.#logger = options.logger ?? nullLogger
    this.#backoff = backoffOptions(options.retry ?? {})
    this.#maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
    this.#agent = {
      http: new http.Agent({ keepAlive: true }),
      https: new https.Agent({
        keepAlive: true,
        rejectUnauthorized: options.ignoreCertificateErrors !== true,
      }),
    }
  }

  async listServers(options: {
    readonly perPage: number
    readonly signal?: AbortSignal
  }): Promise<ServerListEntry[]> {
    const { perPage, signal } = options
    if (!Number.isSafeInteger(perPage) || perPage < 1) {
      throw new RangeError(`perPage must be a positive integer, not ${perPage}.`)
    }
    // Page 0 first, as the reference asks (Laravel serves page 1 for it).
    const first = await this.#listPage(0, perPage, signal)
    if (first.lastPage <= 1) return first.entries
    if (first.lastPage > MAX_PAGES) {
      throw new PanelCallError(`the Panel reports ${first.lastPage} pages of servers`, {
        action: 'list servers',
        call: `GET ${this.#pathOf(listPath(0, perPage))}`,
        attempts: 1,
      })
    }
    const pages: number[] = []
    for (let page = Math.max(first.currentPage, 1) + 1; page <= first.lastPage; page++) {
      pages.push(page)
    }
    // One failed page fails the boot; the pages still in flight are cancelled.
    const siblings = new AbortController()
    const pageSignal = signal ? AbortSignal.any([signal, siblings.signal]) : siblings.signal
    try {
      const rest = await mapConcurrently(pages, PAGE_CONCURRENCY, (page) =>
        this.#listPage(page, perPage, pageSignal),
      )
      return [first, ...rest].flatMap((page) => page.entries)
    } catch (err) {
      siblings.abort(err)
      throw err
    }
  }

  async resetServerStates(signal?: AbortSignal): Promise<void> {
    await this.#call({
      action: 'reset server states',
      method: 'POST',
      path: '/servers/reset',
      signal,
    })
  }

  getServerConfiguration(uuid: string, signal?: AbortSignal): Promise<ServerConfiguration> {
    return this.#call({
      action: 'fetch server configuration',
      method: 'GET',
      path: `/servers/${segment(uuid)}`,
      parse: (json) => parseServerConfiguration(json, { logger: this.#logger }),
      mapError: serverNotFound,
      signal,
    })
  }

  getInstallationScript(uuid: string, signal?: AbortSignal): Promise<InstallationScript> {
    return this.#call({
      action: 'fetch installation script',
      method: 'GET',
      path: `/servers/${segment(uuid)}/install`,
      parse: parseInstallationScript,
      mapError: serverNotFound,
      signal,
    })
  }

  async setInstallationStatus(
    uuid: string,
    status: InstallationStatus,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#call({
      action: 'report installation status',
      method: 'POST',
      path: `/servers/${segment(uuid)}/install`,
      body: { successful: status.successful, reinstall: status.reinstall },
      mapError: serverNotFound,
      signal,
    })
  }

  getBackupUploadParts(
    backupUuid: string,
    size: number,
    signal?: AbortSignal,
  ): Promise<BackupUploadParts> {
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new RangeError(`The backup size must be a positive integer, not ${size}.`)
    }
    return this.#call({
      action: 'fetch backup upload URLs',
      method: 'GET',
      path: `/backups/${segment(backupUuid)}?size=${size}`,
      parse: parseBackupUploadParts,
      signal,
    })
  }

  async setBackupStatus(
    backupUuid: string,
    status: BackupStatus,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#call({
      action: 'report backup status',
      method: 'POST',
      path: `/backups/${segment(backupUuid)}`,
      // Field order as the reference sends it (§6.2).
      body: {
        checksum: status.checksum,
        checksum_type: status.checksumType,
        size: status.size,
        successful: status.successful,
        parts:
          status.parts === null
            ? null
            : status.parts.map((part) => ({ etag: part.etag, part_number: part.partNumber })),
      },
      signal,
    })
  }

  async setRestoreStatus(
    backupUuid: string,
    successful: boolean,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#call({
      action: 'report restore status',
      method: 'POST',
      path: `/backups/${segment(backupUuid)}/restore`,
      body: { successful },
      signal,
    })
  }

  async setTransferStatus(uuid: string, successful: boolean, signal?: AbortSignal): Promise<void> {
    await this.#call({
      action: 'report transfer status',
      method: 'POST',
      path: `/servers/${segment(uuid)}/transfer/${successful ? 'success' : 'failure'}`,
      mapError: serverNotFound,
      signal,
    })
  }

  async validateSftpCredentials(
    request: SftpAuthRequest,
    signal?: AbortSignal,
  ): Promise<SftpAuthResult> {
    // §7: a username without `.<8 character server id>` is refused here, without a Panel call.
    if (!SFTP_USERNAME.test(request.username)) throw new DeniedError(INVALID_CREDENTIALS)
    return this.#call({
      action: 'validate SFTP credentials',
      method: 'POST',
      path: '/sftp/auth',
      body: {
        type: request.type,
        username: request.username,
        password: request.password,
        ip: request.ip,
        session_id: request.sessionId.toString('base64'),
        client_version: request.clientVersion.toString('base64'),
      },
      parse: parseSftpAuthResult,
      // Every 4xx (wrong password, no permission, suspended, throttled) is a refused login.
      mapError: (error) =>
        error.status !== undefined && error.status >= 400 && error.status < 500
          ? new DeniedError(INVALID_CREDENTIALS, { cause: error })
          : error,
      signal,
    })
  }

  async sendActivity(entries: readonly ActivityEntry[], signal?: AbortSignal): Promise<void> {
    if (entries.length === 0) return
    await this.#call({
      action: 'send activity',
      method: 'POST',
      path: '/activity',
      body: {
        data: entries.map((entry) => ({
          user: entry.user,
          server: entry.server,
          event: entry.event,
          metadata: entry.metadata,
          ip: entry.ip,
          timestamp: entry.timestamp,
        })),
      },
      mapError: refusedActivity,
      signal,
    })
  }

  /** Closes pooled connections; calls made afterwards open new ones. */
  close(): void {
    this.#agent.http.destroy()
    this.#agent.https.destroy()
  }

  #listPage(page: number, perPage: number, signal?: AbortSignal): Promise<ServerListPage> {
    return this.#call({
      action: 'list servers',
      method: 'GET',
      path: listPath(page, perPage),
      parse: (json) => parseServerListPage(json, this.#logger),
      signal,
    })
  }

  async #call<T = undefined>(spec: CallSpec<T>): Promise<T> {
    const url = new URL(this.#pathOf(spec.path))
    const call = `${spec.method} ${url.pathname}${url.search}`
    const body = spec.method === 'POST' ? JSON.stringify(spec.body ?? null) : undefined
    const headers =
      body === undefined
        ? this.#headers
        : { ...this.#headers, 'Content-Length': String(Buffer.byteLength(body)) }
    let attempts = 0
    let response: HttpResponse
    try {
      response = await retryWithBackoff(
        async (attempt) => {
          attempts = attempt
          const answer = await this.#attempt(spec.method, url, headers, body, spec.signal)
          if (answer.status < 200 || answer.status >= 300) {
            throw new ErrorStatus(decodePanelError(answer.status, answer.body))
          }
          return answer
        },
        {
          backoff: this.#backoff,
          clock,
          signal: spec.signal,
          isRetryable: (err) =>
            !(err instanceof ResponseTooLargeError) &&
            !(
              err instanceof ErrorStatus &&
              err.response.status >= 400 &&
              err.response.status < 500
            ),
          // Visible at the default level: a Panel that does not answer is an operator's concern.
          onRetry: (err, attempt, waitMs) =>
            this.#logger.warn('Panel request failed; retrying', {
              method: spec.method,
              endpoint: url.pathname,
              attempt,
              retry_in_ms: Math.round(waitMs),
              error: (err as Error).message,
            }),
        },
      )
    } catch (err) {
      if (spec.signal?.aborted) throw spec.signal.reason
      const failure =
        err instanceof ErrorStatus
          ? new PanelCallError(err.message, {
              action: spec.action,
              call,
              attempts,
              response: err.response,
            })
          : new PanelCallError((err as Error).message, {
              action: spec.action,
              call,
              attempts,
              cause: err,
            })
      throw spec.mapError ? spec.mapError(failure) : failure
    }
    if (spec.parse === undefined) return undefined as T
    let json: unknown
    try {
      json = JSON.parse(response.body.toString('utf8'))
    } catch (err) {
      throw new PanelCallError('the Panel answered with something that is not JSON', {
        action: spec.action,
        call,
        attempts,
        cause: err,
      })
    }
    try {
      return spec.parse(json)
    } catch (err) {
      throw new PanelCallError((err as Error).message, {
        action: spec.action,
        call,
        attempts,
        cause: err,
      })
    }
  }

  /** One exchange bounded by `timeoutMs`; a caller abort ends it at once. */
  async #attempt(
    method: 'GET' | 'POST',
    url: URL,
    headers: Readonly<Record<string, string>>,
    body: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<HttpResponse> {
    const controller = new AbortController()
    const stopTimer = clock.setTimeout(
      () => controller.abort(new AttemptTimeoutError(this.#timeoutMs)),
      this.#timeoutMs,
    )
    const onAbort = (): void => controller.abort(signal?.reason)
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      return await sendRequest({
        method,
        url,
        headers,
        body,
        signal: controller.signal,
        agent: this.#agent,
        maxResponseBytes: this.#maxResponseBytes,
        maxRedirects: MAX_REDIRECTS,
      })
    } catch (err) {
      if (controller.signal.aborted) throw controller.signal.reason
      throw err
    } finally {
      stopTimer()
      signal?.removeEventListener('abort', onAbort)
    }
  }

  #pathOf(path: string): string {
    return `${this.#base}${path}`
  }
}

function backoffOptions(overrides: Partial<BackoffOptions>): BackoffOptions {
  const merged: Record<string, number> = { ...PANEL_BACKOFF }
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue
    if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
      throw new RangeError(`The retry option ${key} must be a number of at least 0, not ${value}.`)
    }
    merged[key] = value
  }
  return merged as unknown as BackoffOptions
}

function listPath(page: number, perPage: number): string {
  return `/servers?page=${page}&per_page=${perPage}`
}

function serverNotFound(error: PanelCallError): Error {
  return error.status === 404 ? new NotFoundError(SERVER_NOT_FOUND, { cause: error }) : error
}

/** 400, 413 and 422: the Panel refused the entries themselves; sending them again cannot help. */
function refusedActivity(error: PanelCallError): Error {
  return error.status === 400 || error.status === 413 || error.status === 422
    ? new InvalidError(error.message, { cause: error })
    : error
}

function segment(value: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError('A Panel path parameter must be a non-empty string.')
  }
  return encodeURIComponent(value)
}

/** The connection settings panelConnectionProblems checks. */
export interface PanelConnection {
  /** The node's `remote`. */
  readonly baseUrl: string
  /** The node's `token_id`. */
  readonly tokenId: string
  /** The node's `token`. */
  readonly token: string
}

/** One reason the connection settings cannot work. */
export interface PanelConnectionProblem {
  readonly field: keyof PanelConnection
  /** What is wrong, e.g. `must be an absolute http(s) URL such as https://panel.example.com`. */
  readonly problem: string
}

/**
 * Why these settings cannot reach the Panel, one entry per field (empty when they can). The
 * gateway refuses them with a TypeError; the daemon checks them before it starts.
 */
export function panelConnectionProblems(connection: PanelConnection): PanelConnectionProblem[] {
  const problems: PanelConnectionProblem[] = []
  const baseUrl = urlProblem(connection.baseUrl)
  if (baseUrl) problems.push({ field: 'baseUrl', problem: baseUrl })
  for (const field of ['tokenId', 'token'] as const) {
    const value = connection[field]
    // Printable ASCII without spaces: anything else cannot travel in the Authorization header.
    if (typeof value !== 'string' || !/^[\x21-\x7e]+$/.test(value)) {
      problems.push({ field, problem: 'must be a non-empty string of printable characters' })
    } else if (field === 'tokenId' && value.includes('.')) {
      problems.push({ field, problem: 'cannot contain a dot: the Panel splits the token on it' })
    }
  }
  return problems
}

function urlProblem(baseUrl: string): string | undefined {
  const example = 'such as https://panel.example.com'
  let url: URL
  try {
    url = new URL(typeof baseUrl === 'string' ? baseUrl.trim() : '')
  } catch {
    return `must be an absolute http(s) URL ${example}, not ${JSON.stringify(baseUrl)}`
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `must use http or https ${example}, not ${JSON.stringify(baseUrl)}`
  }
  if (url.search !== '' || url.hash !== '') {
    return `cannot carry a query or fragment: ${JSON.stringify(baseUrl)}`
  }
  return undefined
}

function customHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const kept: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    validateHeaderName(name)
    validateHeaderValue(name, value)
    const lower = name.toLowerCase()
    if (!RESERVED_HEADERS.has(lower) && lower !== 'content-length') kept[name] = value
  }
  return kept
}

async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length)
  let next = 0
  let failed = false
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++
      try {
        results[index] = await run(items[index] as T)
      } catch (err) {
        failed = true
        throw err
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
