import type { RequestListener } from 'node:http'

import type { Logger } from '@node/shared-kernel'

import { constantTimeEquals } from '../http/middleware/bearer-auth.js'
import type { NodeMetrics } from './node-metrics.js'

export interface MetricsEndpointOptions {
  readonly metrics: Pick<NodeMetrics, 'scrape' | 'contentType'>
  /** `metrics.token`, read per scrape; empty: no credential asked. */
  readonly token: () => string
  readonly logger: Logger
}

/**
 * The metrics listener's one route, `GET /metrics`, in Prometheus' text format. With a token, a
 * scrape without `Authorization: Bearer <token>` answers 401; any other path answers 404.
 */
export function metricsEndpoint(options: MetricsEndpointOptions): RequestListener {
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found')
      return
    }
    const token = options.token()
    if (token !== '' && !constantTimeEquals(req.headers.authorization ?? '', `Bearer ${token}`)) {
      res
        .writeHead(401, {
          'Content-Type': 'text/plain; charset=utf-8',
          'WWW-Authenticate': 'Bearer',
        })
        .end('401 unauthorized')
      return
    }
    options.metrics.scrape().then(
      (body) => {
        res.writeHead(200, { 'Content-Type': options.metrics.contentType })
        res.end(req.method === 'HEAD' ? undefined : body)
      },
      (err: unknown) => {
        options.logger.error('failed to collect the metrics', { err })
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('500 scrape failed')
      },
    )
  }
}
