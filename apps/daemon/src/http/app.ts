import express, { type Express, type Router } from 'express'

import type { Logger } from '@node/shared-kernel'

import { errorHandler } from './error-handler.js'
import { bearerAuth } from './middleware/bearer-auth.js'
import { cors, type CorsSettings } from './middleware/cors.js'
import { requestLog } from './middleware/request-log.js'
import { requestId } from './middleware/request-id.js'
import { redirectTrailingSlash } from './middleware/trailing-slash.js'
import { routePatterns } from './route-table.js'
import { openApiRoutes } from './routes/openapi.routes.js'

export interface HttpSettings extends CorsSettings {
  /** The node token, the only credential of the bearer check. */
  readonly token: string
}

export interface HttpAppOptions {
  readonly logger: Logger
  /** Read on every request, so `POST /api/update` applies without a restart. */
  readonly settings: () => HttpSettings
  /** IPs or CIDRs whose X-Forwarded-For is believed (`api.trusted_proxies`); none by default. */
  readonly trustedProxies: readonly string[]
  /** Routes with their own credentials: signed downloads and uploads, incoming transfers. */
  readonly publicRoutes: readonly Router[]
  /** Routes behind the node token. */
  readonly routes: readonly Router[]
  /**
   * Told of every finished request: the route pattern that answered it (`unmatched` when none
   * did), its method, status and duration. Left out, requests are not measured.
   */
  readonly observeRequest?: (route: string, method: string, status: number, seconds: number) => void
}

/** The route of a request no route answered: one label, whatever its URL. */
const UNMATCHED = 'unmatched'

/** The daemon's HTTP API, in the middleware order of http-api §2. */
export function createHttpApp(options: HttpAppOptions): Express {
  const app = express()
  app.disable('x-powered-by')
  app.disable('etag')
  app.set('trust proxy', options.trustedProxies.length > 0 ? [...options.trustedProxies] : false)

  app.use(redirectTrailingSlash)
  app.use(requestId)
  // Filled once every route is mounted, below.
  let patterns = new WeakMap<object, string>()
  const observe = options.observeRequest
  app.use(
    requestLog(
      options.logger,
      observe &&
        ((req, res, seconds) => {
          const route = req.route as object | undefined
          observe((route && patterns.get(route)) ?? UNMATCHED, req.method, res.statusCode, seconds)
        }),
    ),
  )
  app.use(cors(options.settings))
  for (const router of options.publicRoutes) app.use(router)
  app.use(bearerAuth(() => options.settings().token))
  // The document of the API (openapi.yaml): every app serves it, as it serves the error envelope.
  app.use(openApiRoutes())
  for (const router of options.routes) app.use(router)
  // Unknown routes and wrong methods still pass the bearer check first, as in the reference.
  app.use((_req, res) => {
    res.status(404).type('text/plain; charset=utf-8').send('404 page not found')
  })
  app.use(errorHandler(options.logger))
  patterns = routePatterns(app)
  return app
}
