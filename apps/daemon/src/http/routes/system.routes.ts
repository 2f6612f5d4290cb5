import { Router, type Request } from 'express'

import { sendJson } from '../go-json.js'
import { queryString } from './files.routes.js'

/** The `GET /api/diagnostics` query [pelican], with Pelican's defaults and bounds. */
interface DiagnosticsRequest {
  readonly includeEndpoints: boolean
  readonly includeLogs: boolean
  readonly logLines: number
}

export interface SystemRoutesOptions {
  readonly legacy: () => unknown
  readonly detailed: () => Promise<unknown>
  /** `GET /api/system/ips` [pelican] */
  readonly ips: () => unknown
  /** `GET /api/system/utilization` [pelican] */
  readonly utilization: () => Promise<unknown>
  /** `GET /api/system/docker/disk` [pelican] */
  readonly dockerDisk: () => Promise<unknown>
  /** `DELETE /api/system/docker/image/prune` [pelican] */
  readonly pruneImages: () => Promise<unknown>
  /** `GET /api/diagnostics` [pelican]: the report of `wings diagnostics`. */
  readonly diagnostics: (request: DiagnosticsRequest) => Promise<string>
}

/**
 * `GET /api/system` in both shapes (http-api §5.1): `?v=2` exactly selects the detailed one; and
 * Pelican's node routes: addresses, utilization, Docker's disk use and image prune, diagnostics.
 */
export function systemRoutes(options: SystemRoutesOptions): Router {
  const router = Router()
  router.get('/api/system', async (req, res) => {
    if (req.query['v'] === '2') sendJson(res, 200, await options.detailed())
    else sendJson(res, 200, options.legacy())
  })
  router.get('/api/system/ips', (_req, res) => {
    sendJson(res, 200, options.ips())
  })
  router.get('/api/system/utilization', async (_req, res) => {
    sendJson(res, 200, await options.utilization())
  })
  router.get('/api/system/docker/disk', async (_req, res) => {
    sendJson(res, 200, await options.dockerDisk())
  })
  router.delete('/api/system/docker/image/prune', async (_req, res) => {
    sendJson(res, 200, await options.pruneImages())
  })
  router.get('/api/diagnostics', async (req, res) => {
    const report = await options.diagnostics(diagnosticsRequest(req))
    res.status(200).type('text/plain; charset=utf-8').send(report)
  })
  return router
}

const DEFAULT_LOG_LINES = 200
const MAX_LOG_LINES = 500

/**
 * Pelican's reading of the query: `include_endpoints` (default false) and `include_logs` (default
 * true) take `true`/`false` in any case, anything else is the default; `log_lines` is a whole
 * number capped at 500, and anything not above 0 is 200.
 */
function diagnosticsRequest(req: Request): DiagnosticsRequest {
  const flag = (name: string, fallback: boolean): boolean => {
    const value = queryString(req, name).toLowerCase()
    return value === 'true' ? true : value === 'false' ? false : fallback
  }
  const lines = queryString(req, 'log_lines')
  const n = /^[+-]?\d+$/.test(lines) ? Number(lines) : 0
  return {
    includeEndpoints: flag('include_endpoints', false),
    includeLogs: flag('include_logs', true),
    logLines: n > MAX_LOG_LINES ? MAX_LOG_LINES : n > 0 ? n : DEFAULT_LOG_LINES,
  }
}
