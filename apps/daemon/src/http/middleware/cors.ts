import type { RequestHandler } from 'express'

export interface CorsSettings {
  /** The Panel URL (`remote`), the default allowed origin. */
  readonly remote: string
  readonly allowedOrigins: readonly string[]
  readonly allowPrivateNetwork: boolean
}

/**
 * CORS headers on every response and a 204 for every OPTIONS request, before authentication
 * (http-api §2.2). Settings are read per request so `POST /api/update` applies at once.
 */
export function cors(settings: () => CorsSettings): RequestHandler {
  return (req, res, next) => {
    const { remote, allowedOrigins, allowPrivateNetwork } = settings()
    const origin = req.headers.origin
    let allowOrigin = remote
    if (origin !== undefined && origin !== remote) {
      const match = allowedOrigins.find((entry) => entry === origin || entry === '*')
      if (match !== undefined) allowOrigin = match
    }
    res.setHeader('Access-Control-Allow-Origin', allowOrigin)
    res.setHeader('Access-Control-Allow-Credentials', 'true')
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PATCH, PUT, DELETE, OPTIONS')
    res.setHeader(
      'Access-Control-Allow-Headers',
      'Accept, Accept-Encoding, Authorization, Cache-Control, Content-Type, Content-Length, Origin, X-Real-IP, X-CSRF-Token',
    )
    // The reference sends the *request* header's name as a response header; browsers accept it.
    if (allowPrivateNetwork) res.setHeader('Access-Control-Request-Private-Network', 'true')
    res.setHeader('Access-Control-Max-Age', '7200')
    if (req.method === 'OPTIONS') {
      res.status(204).end()
      return
    }
    next()
  }
}
