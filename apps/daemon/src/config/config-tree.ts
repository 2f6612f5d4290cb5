import { configSchema } from './schema.js'
import { isSetting, type Setting } from './setting.js'

/** One leaf of the schema: its path in the file and its definition. */
export interface SettingEntry {
  /** Path segments, e.g. `['api', 'ssl', 'key']`. */
  readonly path: readonly string[]
  /** Dotted key, e.g. `api.ssl.key`. */
  readonly key: string
  readonly setting: Setting<unknown>
}

/** A branch of the schema: a mapping of settings and further branches. */
export type SchemaBranch = { readonly [key: string]: SchemaBranch | Setting<unknown> }

export const schemaRoot: SchemaBranch = configSchema

let entries: readonly SettingEntry[] | undefined

/** Every setting of the schema, in schema order. */
export function settingEntries(): readonly SettingEntry[] {
  if (entries) return entries
  const out: SettingEntry[] = []
  const walk = (node: SchemaBranch, prefix: readonly string[]): void => {
    for (const [key, child] of Object.entries(node)) {
      const path = [...prefix, key]
      if (isSetting(child)) out.push({ path, key: path.join('.'), setting: child })
      else walk(child, path)
    }
  }
  walk(schemaRoot, [])
  entries = out
  return out
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The value at `path`, or undefined when a segment is missing. */
export function getAt(tree: unknown, path: readonly string[]): unknown {
  let node = tree
  for (const key of path) {
    if (!isPlainObject(node) || !Object.hasOwn(node, key)) return undefined
    node = node[key]
  }
  return node
}

/** Sets the value at `path`, creating mappings on the way. Mutates `tree`. */
export function setAt(
  tree: Record<string, unknown>,
  path: readonly string[],
  value: unknown,
): void {
  let node = tree
  for (const key of path.slice(0, -1)) {
    const next = node[key]
    if (isPlainObject(next)) node = next
    else {
      const created: Record<string, unknown> = {}
      node[key] = created
      node = created
    }
  }
  const last = path.at(-1)
  if (last !== undefined) node[last] = value
}

/** Deep structural equality of plain JSON-like values. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => sameValue(v, b[i]))
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a)
    const kb = Object.keys(b)
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameValue(a[k], b[k]))
  }
  return false
}
