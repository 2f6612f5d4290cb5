import { BadRequestError } from '@node/shared-kernel'

import { getAt, sameValue, setAt, settingEntries } from './config-tree.js'
import { decodeGoJson, GoJsonTypeError } from './go-json-decode.js'
import { checkConfig } from './load-config.js'
import type { DaemonConfig } from './schema.js'
import { isApiProtectedKey, WINGS_CONFIGURATION } from './wings-json-fields.js'

/** The Panel always sends Let's Encrypt paths; under this prefix the node keeps its own. */
const LETS_ENCRYPT_PREFIX = '/etc/letsencrypt/live/'

/** http-api.md §3: the generic 400 the reference answers for wrong types, with a request id. */
export const PANEL_UPDATE_REJECTED =
  'An unexpected error was encountered while processing this request'

/** The body of `POST /api/update` cannot be applied (wrong types, or a value the file cannot hold). */
export class PanelUpdateRejectedError extends BadRequestError {
  constructor(options?: ErrorOptions) {
    super(PANEL_UPDATE_REJECTED, options)
  }
}

export type PanelUpdateResult =
  /** `ignore_panel_config_updates` is set: nothing changed (answer `{"applied":false}`). */
  | { readonly applied: false }
  | {
      readonly applied: true
      /** The new configuration: persist it (saveConfig), then make it live. */
      readonly config: DaemonConfig
      /** Dotted keys whose value changed (listener and TLS keys take effect on restart). */
      readonly changedKeys: readonly string[]
      /** Dotted keys the body tried to change but the API never changes (log them as a warning). */
      readonly ignoredKeys: readonly string[]
    }

/**
 * The rules of `POST /api/update` (http-api.md §5.2), without I/O: the body is decoded over a copy
 * of `current` with Go's JSON key matching, so only the keys Wings binds take effect
 * (`allowed_mounts` and `system.root_directory` do not); Let's Encrypt certificate paths keep the
 * current ones; `remote`, `system.data` and `system.*_directory` keep theirs and are reported. Throws PanelUpdateRejectedError for a body of the wrong shape. Callers should
 * check `ignore_panel_config_updates` before reading the body; this function checks it too.
 */
export function applyPanelUpdate(current: DaemonConfig, body: unknown): PanelUpdateResult {
  if (current.ignore_panel_config_updates) return { applied: false }
  const reject = (cause: Error) => new PanelUpdateRejectedError({ cause })
  const merged = decodePanelConfiguration(current, body, reject)
  // Put back before the check: a value the API never applies is not validated either.
  const ignoredKeys: string[] = []
  for (const entry of settingEntries()) {
    const before = getAt(current, entry.path)
    if (!isApiProtectedKey(entry.key) || sameValue(before, getAt(merged, entry.path))) continue
    setAt(merged, entry.path, before)
    ignoredKeys.push(entry.key)
  }
  const next = checkedConfiguration(merged, reject)
  const ssl = next.api.ssl
  const keep = ssl.key.startsWith(LETS_ENCRYPT_PREFIX)
  const config: DaemonConfig = keep
    ? {
        ...next,
        api: { ...next.api, ssl: { ...ssl, cert: current.api.ssl.cert, key: current.api.ssl.key } },
      }
    : next
  const changedKeys = settingEntries()
    .filter((e) => !sameValue(getAt(current, e.path), getAt(config, e.path)))
    .map((e) => e.key)
  return { applied: true, config, changedKeys, ignoredKeys }
}

/**
 * Decodes the Panel's node configuration JSON (`Node::getConfiguration()`, panel-contract.md §D)
 * over `base` with Wings' Go JSON rules and checks that the result is a valid configuration.
 * `reject` builds the error thrown when it is not.
 */
export function mergePanelConfiguration(
  base: DaemonConfig,
  body: unknown,
  reject: (cause: Error) => Error,
): DaemonConfig {
  return checkedConfiguration(decodePanelConfiguration(base, body, reject), reject)
}

function decodePanelConfiguration(
  base: DaemonConfig,
  body: unknown,
  reject: (cause: Error) => Error,
): Record<string, unknown> {
  try {
    return decodeGoJson(base, body, WINGS_CONFIGURATION)
  } catch (err) {
    if (err instanceof GoJsonTypeError) throw reject(err)
    throw err
  }
}

function checkedConfiguration(
  merged: Record<string, unknown>,
  reject: (cause: Error) => Error,
): DaemonConfig {
  const problems = checkConfig(merged)
  if (problems.length > 0) throw reject(new Error(problems.join('; ')))
  return merged as unknown as DaemonConfig
}
