import { Router } from 'express'

import { serverExists } from '../http/middleware/server-exists.js'

/**
 * `GET /api/servers/:server/ws` without an upgrade: the unknown-server 404, else the handshake's
 * 400. The upgrade itself never reaches express (WebsocketEndpoint takes it from the server).
 */
export function websocketRoutes<S>(get: (uuid: string) => S | undefined): Router {
  const router = Router()
  router.get('/api/servers/:server/ws', serverExists(get), (_req, res) => {
    res.status(400).type('text/plain; charset=utf-8').send('Bad Request')
  })
  return router
}
