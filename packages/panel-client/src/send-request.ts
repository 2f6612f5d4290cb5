import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import https from 'node:https'

export interface HttpRequest {
  readonly method: 'GET' | 'POST'
  readonly url: URL
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string | undefined
  /** Ends the exchange, connection and body read included. */
  readonly signal: AbortSignal
  readonly agent: { readonly http: http.Agent; readonly https: https.Agent }
  /** Bodies larger than this reject with ResponseTooLargeError. */
  readonly maxResponseBytes: number
  /** Redirects followed for GET; other methods get the 3xx answer itself. */
  readonly maxRedirects: number
}

export interface HttpResponse {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
  /** The URL that answered, after redirects. */
  readonly url: URL
}

/** A response body went past `maxResponseBytes`; sending the request again would not help. */
export class ResponseTooLargeError extends Error {
  constructor(limit: number) {
    super(`the response body is larger than ${limit} bytes`)
    this.name = 'ResponseTooLargeError'
  }
}

/**
 * One HTTP exchange over node:http(s), following redirects for GET as Go's client does. The
 * Authorization header is dropped when a redirect leaves the original origin.
 */
export async function sendRequest(request: HttpRequest): Promise<HttpResponse> {
  let url = request.url
  let headers = request.headers
  for (let redirects = 0; ; redirects++) {
    const response = await exchange(request, url, headers)
    const location = response.headers.location
    const isRedirect =
      response.statusCode !== undefined && [301, 302, 303, 307, 308].includes(response.statusCode)
    if (request.method === 'GET' && isRedirect && location && redirects < request.maxRedirects) {
      response.resume()
      const next = new URL(location, url)
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new Error(`redirected to a non-HTTP URL (${next.protocol})`)
      }
      if (next.origin !== request.url.origin) headers = withoutAuthorization(headers)
      url = next
      continue
    }
    const body = await readBody(response, request.maxResponseBytes, request.signal)
    return { status: response.statusCode ?? 0, headers: response.headers, body, url }
  }
}

function exchange(
  request: HttpRequest,
  url: URL,
  headers: Readonly<Record<string, string>>,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const options = { method: request.method, headers, signal: request.signal }
    const req =
      url.protocol === 'https:'
        ? https.request(url, { ...options, agent: request.agent.https })
        : http.request(url, { ...options, agent: request.agent.http })
    req.once('response', resolve)
    req.once('error', reject)
    req.end(request.body)
  })
}

async function readBody(
  response: IncomingMessage,
  limit: number,
  signal: AbortSignal,
): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of response) {
      size += (chunk as Buffer).length
      if (size > limit) {
        response.destroy()
        throw new ResponseTooLargeError(limit)
      }
      chunks.push(chunk as Buffer)
    }
  } catch (err) {
    // An abort surfaces as a premature close; report the abort's own reason instead.
    if (signal.aborted && !(err instanceof ResponseTooLargeError)) throw signal.reason
    throw err
  }
  return Buffer.concat(chunks)
}

function withoutAuthorization(
  headers: Readonly<Record<string, string>>,
): Readonly<Record<string, string>> {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'authorization'),
  )
}
