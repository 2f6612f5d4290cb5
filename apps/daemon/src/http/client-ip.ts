import type { IncomingMessage } from 'node:http'

import proxyAddr from 'proxy-addr'

/**
 * The client's address as express's `req.ip` gives it to the HTTP routes (http-api §1): the
 * socket peer, unless the peer is one of `trustedProxies`; then X-Forwarded-For is followed.
 * For requests that never reach express (the websocket upgrade).
 */
export function clientIpOf(trustedProxies: readonly string[]): (req: IncomingMessage) => string {
  const trust = proxyAddr.compile(trustedProxies.length > 0 ? [...trustedProxies] : [])
  return (req) => (req.socket.remoteAddress === undefined ? '' : proxyAddr(req, trust))
}
