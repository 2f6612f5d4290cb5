import { Router } from 'express'

import { sendJson } from '../go-json.js'

export interface SystemRoutesOptions {
  readonly legacy: () => unknown
  readonly detailed: () => Promise<unknown>
}

/** `GET /api/system` in both shapes (http-api §5.1): `?v=2` exactly selects the detailed one. */
export function systemRoutes(options: SystemRoutesOptions): Router {
  const router = Router()
  router.get('/api/system', async (req, res) => {
    if (req.query['v'] === '2') sendJson(res, 200, await options.detailed())
    else sendJson(res, 200, options.legacy())
  })
  return router
}
