import { Router } from 'express'

import type { Logger } from '@node/shared-kernel'

import { applyPanelUpdate } from '../../config/apply-panel-update.js'
import type { DaemonConfig } from '../../config/schema.js'
import { sendJson } from '../go-json.js'
import { readJsonBody } from '../parse/json-body.js'

export interface UpdateRoutesOptions {
  readonly current: () => DaemonConfig
  /** Warned when the Panel tries to change a key the API never changes. */
  readonly logger: Logger
  /** Writes the new configuration to config.yml (atomically, 0600) and makes it live. */
  readonly persist: (next: DaemonConfig) => Promise<void>
}

/** `POST /api/update` (http-api §5.2): the Panel pushes the node's configuration on every save. */
export function updateRoutes(options: UpdateRoutesOptions): Router {
  const router = Router()
  router.post('/api/update', async (req, res) => {
    if (options.current().ignore_panel_config_updates) {
      sendJson(res, 200, { applied: false })
      return
    }
    const result = applyPanelUpdate(options.current(), await readJsonBody(req))
    if (result.applied && result.ignoredKeys.length > 0) {
      options.logger.warn('ignoring configuration keys the Panel may not change through the API', {
        keys: result.ignoredKeys,
      })
    }
    if (result.applied) await options.persist(result.config)
    sendJson(res, 200, { applied: result.applied })
  })
  return router
}
