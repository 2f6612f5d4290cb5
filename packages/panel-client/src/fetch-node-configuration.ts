import http from 'node:http'
import https from 'node:https'

import { DeniedError } from '@node/shared-kernel'

import { decodePanelError, formatPanelError, PanelCallError } from './panel-call-error.js'
import { isJsonObject } from './wire-reader.js'
import { sendRequest, type HttpResponse } from './send-request.js'

export interface FetchNodeConfigurationOptions {
  /** The Panel's base URL (`--panel-url`); a trailing `/` is dropped. */
  readonly panelUrl: string
  /** An application API key allowed to read nodes (`--token`). */
  readonly apiKey: string
  /** The node's numeric id in the Panel (`--node`). */
  readonly nodeId: number | string
  /** Default 30 s, as the reference. */
  readonly timeoutMs?: number
  readonly signal?: AbortSignal
  /** `--allow-insecure`: accept any TLS certificate. */
  readonly ignoreCertificateErrors?: boolean
}

/** What the Panel answers on 401 and 403, in the reference's words. */
export const INVALID_API_KEY = 'The authentication credentials provided were not valid.'
const MAX_BODY_BYTES = 4 * 1024 * 1024

/**
 * `wings configure`: `GET <panel>/api/application/nodes/<id>/configuration` (outside
 * /api/remote, no retries). Resolves with the JSON object the Panel generated for the node (the
 * `POST /api/update` body of http-api.md §5.2). 401 and 403 reject with DeniedError and
 * INVALID_API_KEY; any other failure with a PanelCallError.
 */
export async function fetchNodeConfiguration(
  options: FetchNodeConfigurationOptions,
): Promise<Record<string, unknown>> {
  const nodeId = String(options.nodeId)
  if (!/^[1-9]\d*$/.test(nodeId)) {
    throw new TypeError(
      `The node must be the numeric id of the node in the Panel, not "${nodeId}".`,
    )
  }
  if (typeof options.apiKey !== 'string' || !/^[\x21-\x7e]+$/.test(options.apiKey)) {
    throw new TypeError('The Panel API key must be a non-empty string of printable characters.')
  }
  let base: URL
  try {
    base = new URL(options.panelUrl)
  } catch {
    throw new TypeError(`The Panel URL is not an absolute URL: "${options.panelUrl}".`)
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new TypeError(`The Panel URL must use http or https: "${options.panelUrl}".`)
  }
  base.search = ''
  base.hash = ''
  const url = new URL(
    `${base.href.replace(/\/+$/, '')}/api/application/nodes/${nodeId}/configuration`,
  )
  const call = `GET ${url.pathname}`
  const action = 'fetch the node configuration'

  const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000)
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
  const agent = {
    http: new http.Agent(),
    https: new https.Agent({ rejectUnauthorized: options.ignoreCertificateErrors !== true }),
  }
  let response: HttpResponse
  try {
    response = await sendRequest({
      method: 'GET',
      url,
      headers: {
        Accept: 'application/vnd.pterodactyl.v1+json',
        'Content-Type': 'application/json',
        Authorization: `Bearer ${options.apiKey}`,
      },
      signal,
      agent,
      maxResponseBytes: MAX_BODY_BYTES,
      maxRedirects: 10,
    })
  } catch (err) {
    if (options.signal?.aborted) throw options.signal.reason
    const reason = timeout.aborted
      ? `the Panel did not answer within ${options.timeoutMs ?? 30_000} ms`
      : (err as Error).message
    throw new PanelCallError(reason, { action, call, attempts: 1, cause: err })
  } finally {
    agent.http.destroy()
    agent.https.destroy()
  }
  if (response.status === 401 || response.status === 403) {
    const failure = decodePanelError(response.status, response.body)
    throw new DeniedError(INVALID_API_KEY, {
      cause: new PanelCallError(formatPanelError(failure), {
        action,
        call,
        attempts: 1,
        response: failure,
      }),
    })
  }
  if (response.status < 200 || response.status >= 300) {
    const failure = decodePanelError(response.status, response.body)
    throw new PanelCallError(formatPanelError(failure), {
      action,
      call,
      attempts: 1,
      response: failure,
    })
  }
  let json: unknown
  try {
    json = JSON.parse(response.body.toString('utf8'))
  } catch (err) {
    throw new PanelCallError('the Panel answered with something that is not JSON', {
      action,
      call,
      attempts: 1,
      cause: err,
    })
  }
  if (!isJsonObject(json)) {
    throw new PanelCallError('the Panel answered with JSON that is not an object', {
      action,
      call,
      attempts: 1,
    })
  }
  return { ...json }
}
