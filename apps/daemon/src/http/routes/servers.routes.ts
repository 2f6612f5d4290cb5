import { Router } from 'express'

import { InvalidError } from '@node/shared-kernel'

import { sendJson } from '../go-json.js'
import { serverExists, serverOf } from '../middleware/server-exists.js'
import { asObject, optionalBoolean, optionalStringArray, requiredString } from '../parse/fields.js'
import { readJsonBody } from '../parse/json-body.js'
import { abortedWhenClientLeaves } from '../request-signal.js'

const NOT_VALIDATED = 'The data provided in the request could not be validated.'

// A lower-case RFC 4122 version 4 UUID, as the reference's binding requires (http-api §5.4).
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** What the server routes need: the use cases of @node/servers. */
export interface ServersRoutesOptions<S> {
  readonly servers: { all(): readonly S[]; get(uuid: string): S | undefined }
  /** The `GET /api/servers/:server` body (http-api §6.1). */
  readonly details: (server: S) => unknown
  readonly create: {
    /**
     * Fetches the configuration from the Panel and adds the server; the install runs in the
     * background. Cancelled, leaving nothing, when `signal` aborts or the uuid is deleted meanwhile.
     */
    execute(uuid: string, startOnCompletion: boolean, signal: AbortSignal): Promise<void>
    /** Cancels a create of `uuid` under way; true once it was undone, false when there was none. */
    cancel(uuid: string): Promise<boolean>
  }
  readonly delete: { execute(server: S): Promise<void> }
  readonly sync: { execute(server: S): Promise<void> }
  readonly revoke: {
    denyJtis(jtis: readonly string[]): void
    deauthorizeUser(user: string, servers: readonly S[] | 'all'): void
  }
}

/** The server collection routes of http-api §5.3-§5.5 and the per-server §6.1, §6.2, §6.8, §6.9. */
export function serversRoutes<S>(options: ServersRoutesOptions<S>): Router {
  const { servers, details } = options
  const router = Router()

  router.get('/api/servers', (_req, res) => {
    sendJson(
      res,
      200,
      servers.all().map((server) => details(server)),
    )
  })

  router.post('/api/servers', async (req, res) => {
    const body = asObject(await readJsonBody(req))
    // Go's binding: a missing or mistyped uuid fails the bind (400), a malformed one the check (422).
    const uuid = requiredString(body, 'uuid')
    const startOnCompletion = optionalBoolean(body, 'start_on_completion') ?? false
    if (!UUID_V4.test(uuid)) throw new InvalidError(NOT_VALIDATED)
    // The Panel gives up after 15 s and deletes the server; a create it gave up on stops.
    await options.create.execute(uuid, startOnCompletion, abortedWhenClientLeaves(res))
    res.status(202).end()
  })

  // A DELETE while the server is still being created (not yet known to the route below) wins.
  router.delete('/api/servers/:server', async (req, res, next) => {
    if (await options.create.cancel(req.params.server)) res.status(204).end()
    else next()
  })

  router.post('/api/deauthorize-user', async (req, res) => {
    let body = asObject(await readJsonBody(req))
    // Pelican's Panel nests the body under `json` by mistake (panel-contract A.2); accept both.
    if (body['user'] === undefined && typeof body['json'] === 'object')
      body = asObject(body['json'])
    const user = requiredString(body, 'user')
    const uuids = optionalStringArray(body, 'servers') ?? []
    const affected =
      uuids.length === 0
        ? 'all'
        : uuids.map((uuid) => servers.get(uuid)).filter((server) => server !== undefined)
    options.revoke.deauthorizeUser(user, affected)
    res.status(204).end()
  })

  const server = Router({ mergeParams: true })
  router.use(
    '/api/servers/:server',
    serverExists((uuid) => servers.get(uuid)),
    server,
  )

  server.get('/', (_req, res) => {
    sendJson(res, 200, details(serverOf<S>(res)))
  })

  server.delete('/', async (_req, res) => {
    await options.delete.execute(serverOf<S>(res))
    res.status(204).end()
  })

  server.post('/sync', async (_req, res) => {
    await options.sync.execute(serverOf<S>(res))
    res.status(204).end()
  })

  server.post('/ws/deny', async (req, res) => {
    const body = asObject(await readJsonBody(req))
    options.revoke.denyJtis(optionalStringArray(body, 'jtis') ?? [])
    res.status(204).end()
  })

  return router
}
