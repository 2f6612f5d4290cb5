import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { setTimeout as delay } from 'node:timers/promises'

import type { CallRecorder } from './call-recorder.js'
import { authenticateApplication, authenticateDaemon } from './daemon-auth.js'
import { isObject } from './field-reader.js'
import type { FailureInjector } from './failure-injector.js'
import { PanelError, PanelErrors } from './panel-error.js'
import type { PanelState } from './panel-state.js'
import { phpJson } from './php-json.js'
import type { NodeRecord } from './records.js'
import type { Route, SimRequest, SimResponse } from './route.js'

const MAX_BODY_BYTES = 64 * 1024 * 1024

export interface HttpAppOptions {
  readonly state: PanelState
  readonly routes: () => readonly Route[]
  readonly recorder: CallRecorder
  readonly failures: FailureInjector
  /** Called with errors that are not PanelErrors (bugs), after a 500 went out. */
  readonly onUnexpectedError: (err: unknown) => void
}

/** The simulator's HTTP server: recording, failure injection, routing, auth, JSON envelopes. */
export function createHttpApp(options: HttpAppOptions): Server {
  const server = createServer((req, res) => {
    handle(options, req, res).catch((err: unknown) => {
      options.onUnexpectedError(err)
      if (!res.headersSent) send(res, errorResponse(PanelErrors.unexpected()))
      else res.destroy()
    })
  })
  // The Panel answers slowly-sent bodies too; keep Node's defaults but never time out a waiting test.
  server.requestTimeout = 0
  return server
}

async function handle(
  options: HttpAppOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sim.invalid')
  const method = (req.method ?? 'GET').toUpperCase()
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname
  let rawBody: Buffer | null
  try {
    rawBody = await readBody(req)
  } catch {
    // The caller went away mid-body: nothing to answer.
    req.socket.destroy()
    return
  }
  if (rawBody === null) {
    send(
      res,
      errorResponse(new PanelError(413, 'PostTooLargeException', 'The request body is too large.')),
    )
    return
  }
  const query: Record<string, string> = {}
  for (const [key, value] of url.searchParams) query[key] = value

  const matched = match(options.routes(), method, path)
  const recorded =
    matched && 'route' in matched ? matched.route.recorded : !path.startsWith('/__sim')
  const call = recorded
    ? options.recorder.start({
        method,
        path,
        query,
        headers: flattenHeaders(req.headers),
        body: parseRecordedBody(rawBody),
        rawBody: rawBody.toString('utf8'),
        time: new Date(),
      })
    : undefined
  const finish = (response: SimResponse) => {
    send(res, response)
    if (call) options.recorder.finish(call, response.status)
  }

  if (call) {
    const failure = options.failures.take(method, path)
    if (failure) {
      call.injected = true
      if (failure.delayMs > 0) await delay(failure.delayMs)
    }
    if (failure && !failure.thenAnswer) {
      if (failure.drop) {
        options.recorder.finish(call, 0)
        req.socket.destroy()
        return
      }
      finish({ status: failure.status, json: failure.body })
      return
    }
  }

  try {
    if (!matched) throw PanelErrors.resourceNotFound()
    if ('allowed' in matched) throw PanelErrors.methodNotAllowed(method, path, matched.allowed)
    let node: NodeRecord | null = null
    if (matched.route.auth === 'daemon') {
      node = authenticateDaemon(options.state, req.headers)
      if (call) call.nodeId = node.id
    } else if (matched.route.auth === 'application') {
      authenticateApplication(options.state, req.headers)
    }
    const request: SimRequest = {
      method,
      path,
      params: matched.params,
      query,
      headers: req.headers,
      input: laravelInput(req.headers['content-type'], rawBody, query),
      rawBody,
      ip: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
      node,
      url: `http://${req.headers.host ?? 'localhost'}${path}`,
    }
    finish(await matched.route.handle(request))
  } catch (err) {
    if (!(err instanceof PanelError)) options.onUnexpectedError(err)
    finish(errorResponse(err instanceof PanelError ? err : PanelErrors.unexpected()))
  }
}

type Match = { route: Route; params: Record<string, string> } | { allowed: string[] }

function match(routes: readonly Route[], method: string, path: string): Match | undefined {
  const allowed: string[] = []
  for (const route of routes) {
    const m = route.pattern.exec(path)
    if (!m) continue
    if (route.methods.includes(method) || (method === 'HEAD' && route.methods.includes('GET'))) {
      const params: Record<string, string> = {}
      for (const [k, v] of Object.entries(m.groups ?? {})) params[k] = safeDecode(v)
      return { route, params }
    }
    allowed.push(...route.methods)
  }
  return allowed.length > 0 ? { allowed } : undefined
}

/** A malformed `%` sequence stays as it is (it then matches no record: 404). */
function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

function errorResponse(err: PanelError): SimResponse {
  return { status: err.status, json: err.body, headers: err.headers }
}

function send(res: ServerResponse, response: SimResponse): void {
  const headers: Record<string, string> = { ...response.headers }
  let body: string | undefined
  if (response.status !== 204 && response.status !== 304) {
    if (response.json !== undefined) {
      body = phpJson(response.json)
      headers['Content-Type'] ??= 'application/json'
    } else {
      body = response.text ?? ''
    }
  }
  headers['Cache-Control'] ??= 'no-cache, private'
  if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body))
  res.writeHead(response.status, headers)
  res.end(body)
}

async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) return null
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

function flattenHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}

function parseRecordedBody(raw: Buffer): unknown {
  if (raw.length === 0) return undefined
  const text = raw.toString('utf8')
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

/** Laravel's input bag after the TrimStrings and ConvertEmptyStringsToNull middleware. */
function laravelInput(
  contentType: string | undefined,
  raw: Buffer,
  query: Record<string, string>,
): Record<string, unknown> {
  let body: Record<string, unknown> = {}
  if (contentType !== undefined && /\/json|\+json/.test(contentType) && raw.length > 0) {
    try {
      const parsed = JSON.parse(raw.toString('utf8')) as unknown
      if (isObject(parsed)) body = parsed
      else if (Array.isArray(parsed))
        body = Object.fromEntries(parsed.map((v, i) => [String(i), v]))
    } catch {
      // The Panel has no JSON syntax check: malformed JSON is empty input.
    }
  }
  const merged: Record<string, unknown> = { ...query, ...body }
  for (const [key, value] of Object.entries(merged))
    merged[key] = clean(value, key === 'password' || key === 'password_confirmation')
  return merged
}

function clean(value: unknown, keepSpaces: boolean): unknown {
  if (typeof value === 'string') {
    const v = keepSpaces ? value : value.trim()
    return v === '' ? null : v
  }
  if (Array.isArray(value)) return value.map((v) => clean(v, false))
  if (isObject(value)) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = clean(v, false)
    return out
  }
  return value
}
