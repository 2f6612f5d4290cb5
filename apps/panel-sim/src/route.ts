import type { IncomingHttpHeaders } from 'node:http'

import type { NodeRecord } from './records.js'

/** A request as a route sees it: Laravel's view of the input, plus the raw material. */
export interface SimRequest {
  readonly method: string
  readonly path: string
  readonly params: Readonly<Record<string, string>>
  readonly query: Readonly<Record<string, string>>
  readonly headers: IncomingHttpHeaders
  /**
   * Laravel's `$request->input()`: the JSON body (when the content type is JSON) over the query,
   * strings trimmed (except `password`) and `""` turned into null. Malformed JSON is empty input.
   */
  readonly input: Readonly<Record<string, unknown>>
  readonly rawBody: Buffer
  /** The caller's address as the Panel sees it (`$request->ip()`). */
  readonly ip: string
  /** The authenticated node, for `daemon` routes. */
  readonly node: NodeRecord | null
  /** The full URL the request reached, without query (Laravel's `$request->url()`). */
  readonly url: string
}

export interface SimResponse {
  readonly status: number
  /** Sent as PHP-escaped JSON. */
  readonly json?: unknown
  /** Sent verbatim (with its own content type in `headers`). */
  readonly text?: string
  readonly headers?: Readonly<Record<string, string>>
}

type RouteAuth = 'daemon' | 'application' | 'none'

export interface Route {
  readonly methods: readonly string[]
  /** Matched against the path without trailing slash; named groups become `params`. */
  readonly pattern: RegExp
  readonly auth: RouteAuth
  /** Recorded in `sim.calls` and subject to `failNext` (everything but the admin API). */
  readonly recorded: boolean
  handle(request: SimRequest): SimResponse | Promise<SimResponse>
}

export const NO_CONTENT: SimResponse = { status: 204 }
