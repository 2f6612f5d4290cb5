import { REDACTED } from '../logging/redact.js'
import { getAt, isPlainObject, setAt, settingEntries } from './config-tree.js'
import type { DaemonConfig } from './schema.js'

/**
 * A copy of `config` safe to print: sensitive settings (`token`) masked when set, and registry
 * passwords masked inside `docker.registries`. Unknown keys are kept as they are.
 */
export function redactConfig(config: DaemonConfig): DaemonConfig {
  const out = structuredClone(config) as unknown as Record<string, unknown>
  for (const { path, setting } of settingEntries()) {
    if (!setting.sensitive) continue
    const value = getAt(out, path)
    if (setting.mapOf === 'registry' && isPlainObject(value)) {
      for (const login of Object.values(value)) {
        if (isPlainObject(login) && login['password']) login['password'] = REDACTED
      }
    } else if (value !== '' && value !== undefined) {
      setAt(out, path, REDACTED)
    }
  }
  return out as unknown as DaemonConfig
}
