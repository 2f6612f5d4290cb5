import type { ConfigReplacement } from '@node/server-state'
import type { Logger } from '@node/shared-kernel'
import type { ConfigValueResolver } from './ports/config-value-resolver.js'

/** A replacement whose `replace_with` has been turned into the text the parsers write. */
export interface ResolvedReplacement {
  readonly match: string
  /** `undefined` when the egg gave none (an empty `if_value` counts as none, as in the reference). */
  readonly ifValue: string | undefined
  /** `replace_with` as text, `{{config.…}}` placeholders substituted. */
  readonly value: string
  /** `replace_with` as text without placeholder substitution (the `file` parser writes this). */
  readonly rawValue: string
  /** `replace_with` was a JSON boolean: the JSON and YAML parsers then write a boolean. */
  readonly isBoolean: boolean
}

/** The reference's placeholder pattern; only the first placeholder's path is looked up. */
const CONFIG_PLACEHOLDER = /{{\s?config\.([\w.-]+)\s?}}/
const CONFIG_PLACEHOLDERS = new RegExp(CONFIG_PLACEHOLDER.source, 'g')

/** Keys an egg may not copy into a server's files: the node's Panel credentials. */
const REFUSED_PATHS = new Set(['token', 'token_id'])

/** The text of any JSON value as the reference prints it: strings raw, `null` as `<nil>`. */
function replacementText(value: unknown): string {
  if (typeof value === 'string') return value
  if (value === null) return '<nil>'
  if (typeof value === 'boolean' || typeof value === 'number') return String(value)
  if (typeof value === 'bigint') return value.toString()
  // The reference has no text for objects and arrays either.
  return '<invalid>'
}

/** `snake_case` of one placeholder segment (`tmpfsSize` and `TmpfsSize` → `tmpfs_size`). */
export function toSnakeCase(segment: string): string {
  return segment
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[-\s]+/g, '_')
    .toLowerCase()
}

/**
 * Resolves `replace_with` (behaviour §7.1): the first `{{config.<path>}}` placeholder is looked up
 * and every placeholder in the string becomes that one value; a missing key (or a refused one)
 * yields an empty string, as in the reference.
 */
export function resolveReplacement(
  replacement: ConfigReplacement,
  resolver: ConfigValueResolver | undefined,
  logger: Logger,
): ResolvedReplacement {
  const raw = replacement.replaceWith
  const rawValue = raw === undefined ? '' : replacementText(raw)
  if (typeof raw === 'object' && raw !== null) {
    logger.warn('configuration replacement value is not a scalar', { match: replacement.match })
  }
  let value = rawValue
  const found = typeof raw === 'string' ? CONFIG_PLACEHOLDER.exec(raw) : null
  if (found !== null) {
    const path = (found[1] ?? '').split('.').map(toSnakeCase)
    const text = lookUp(path, resolver, replacement.match, logger)
    // As the reference: without a value the whole string becomes empty, not just the placeholder.
    value = text === undefined ? '' : rawValue.replace(CONFIG_PLACEHOLDERS, () => text)
  }
  const ifValue = replacement.ifValue === '' ? undefined : replacement.ifValue
  return { match: replacement.match, ifValue, value, rawValue, isBoolean: typeof raw === 'boolean' }
}

function lookUp(
  path: readonly string[],
  resolver: ConfigValueResolver | undefined,
  match: string,
  logger: Logger,
): string | undefined {
  if (path.length === 1 && REFUSED_PATHS.has(path[0] ?? '')) {
    logger.warn('refused a configuration placeholder for a node credential', { match })
    return undefined
  }
  let found = resolver?.lookup(path)
  // The reference still answers the pre-1.0 spelling, which old Panels pass through unchanged.
  if (found === undefined && path.join('.') === 'docker.interface') {
    found = resolver?.lookup(['docker', 'network', 'interface'])
  }
  if (found === undefined) {
    logger.warn('configuration placeholder names no configuration value', {
      match,
      path: path.join('.'),
    })
    return undefined
  }
  return typeof found === 'object' && found !== null
    ? JSON.stringify(found)
    : replacementText(found)
}

/** A resolver over a plain object: the daemon's configuration as its config.yml keys. */
export function configValueResolverFrom(configuration: unknown): ConfigValueResolver {
  return {
    lookup(path) {
      let node: unknown = configuration
      for (const key of path) {
        if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined
        if (!Object.prototype.hasOwnProperty.call(node, key)) return undefined
        node = (node as Record<string, unknown>)[key]
      }
      return node
    },
  }
}
