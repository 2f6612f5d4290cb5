import type { RequestHandler } from 'express'

/**
 * A path with a trailing `/` is redirected to the path without it before any other middleware
 * runs (http-api §1): 301 for GET, 307 otherwise, so the method and body are kept.
 */
export const redirectTrailingSlash: RequestHandler = (req, res, next) => {
  const [path = '', query] = splitOnce(req.url, '?')
  if (path.length > 1 && path.endsWith('/')) {
    // Leading slashes are collapsed too: `//host/` must not become a protocol-relative redirect.
    const target = `/${path.replace(/^\/+|\/+$/g, '')}`
    res.redirect(
      req.method === 'GET' ? 301 : 307,
      query === undefined ? target : `${target}?${query}`,
    )
    return
  }
  next()
}

function splitOnce(value: string, separator: string): [string, string?] {
  const at = value.indexOf(separator)
  return at === -1 ? [value] : [value.slice(0, at), value.slice(at + 1)]
}
