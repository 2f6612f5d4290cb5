import { timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

import { PanelErrors } from './panel-error.js'
import type { PanelState } from './panel-state.js'
import type { ApiKeyRecord, NodeRecord } from './records.js'
import { PanelError } from './panel-error.js'

/** Laravel's `$request->bearerToken()`: what follows the last `Bearer `, up to a comma. */
function bearerToken(headers: IncomingHttpHeaders): string | null {
  const header = headers.authorization ?? ''
  const position = header.lastIndexOf('Bearer ')
  if (position === -1) return null
  const token = header.slice(position + 'Bearer '.length)
  const comma = token.indexOf(',')
  return comma === -1 ? token : token.slice(0, comma)
}

/** PHP's `empty()` on a string: "" and "0" are empty. */
function phpEmpty(value: string | undefined): boolean {
  return value === undefined || value === '' || value === '0'
}

export function constantTimeEquals(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** The Panel's DaemonAuthenticate middleware (panel-contract.md C.0). */
export function authenticateDaemon(state: PanelState, headers: IncomingHttpHeaders): NodeRecord {
  const bearer = bearerToken(headers)
  if (bearer === null) throw PanelErrors.noAuthorizationHeader()
  const parts = bearer.split('.')
  if (parts.length !== 2 || phpEmpty(parts[0]) || phpEmpty(parts[1])) {
    throw PanelErrors.badAuthorizationFormat()
  }
  const node = state.nodes.find((n) => n.daemonTokenId === parts[0])
  if (node && constantTimeEquals(node.daemonToken, parts[1]!)) return node
  throw PanelErrors.notAuthorized()
}

/** Application API key check (Sanctum-style bearer key) for `wings configure`. */
export function authenticateApplication(
  state: PanelState,
  headers: IncomingHttpHeaders,
): ApiKeyRecord {
  const bearer = bearerToken(headers)
  const key =
    bearer === null ? undefined : state.apiKeys.find((k) => constantTimeEquals(k.token, bearer))
  if (!key) throw new PanelError(401, 'AuthenticationException', 'Unauthenticated.')
  return key
}
