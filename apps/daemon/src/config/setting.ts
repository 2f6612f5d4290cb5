import convict from 'convict'

/**
 * One key of config.yml: a convict schema leaf plus what the docs generator prints. `T` is the
 * value's type in `DaemonConfig`; `_type` only carries it and never exists at run time.
 */
export interface Setting<T> {
  readonly doc: string
  /** A format registered below (`wings-*`), `object` for maps, or the allowed values of an enum. */
  readonly format: string | readonly string[]
  readonly default: T
  /** Environment variable that overrides the file (never written back to it; see save-config.ts). */
  readonly env?: string
  /** Secret: masked by convict's toString, in validation errors, in diagnostics and in logs. */
  readonly sensitive?: boolean
  /** Human-readable type for docs/configuration.md, e.g. `integer (MiB)`. */
  readonly type: string
  /** Set on keys this daemon adds to Wings' file; Wings ignores them. */
  readonly extension?: true
  /** Set on keys of Pelican's Wings that the Pterodactyl one does not have. */
  readonly pelican?: true
  /** For `object` formats: what a map holds (checked by the `object` format). */
  readonly mapOf?: MapKind
  readonly _type?: T
}

type MapKind = 'string' | 'registry' | 'multiplier'

/** A registry login in `docker.registries` (the map key is the registry host, matched by prefix). */
export interface RegistryCredentials {
  readonly username: string
  readonly password: string
}

interface Common {
  readonly doc: string
  readonly env?: string
  readonly sensitive?: boolean
  readonly extension?: true
  readonly pelican?: true
  /** Overrides the type shown in the docs (e.g. to add a unit). */
  readonly type?: string
}

export function bool(spec: Common & { readonly default: boolean }): Setting<boolean> {
  return { ...spec, format: 'wings-bool', type: spec.type ?? 'boolean' }
}

/** `true`, `false`, or `learn`: decided by what the daemon sees (e.g. the Panel's token format). */
export function boolOrLearn(
  spec: Common & { readonly default: boolean | 'learn' },
): Setting<boolean | 'learn'> {
  return { ...spec, format: 'wings-bool-or-learn', type: spec.type ?? '`learn` | boolean' }
}

export function str(spec: Common & { readonly default: string }): Setting<string> {
  return { ...spec, format: 'wings-string', type: spec.type ?? 'string' }
}

/** An absolute path (directories the daemon creates and mounts into containers). */
export function absolutePath(spec: Common & { readonly default: string }): Setting<string> {
  return { ...spec, format: 'wings-path', type: spec.type ?? 'absolute path' }
}

/** An `http(s)://` URL, or empty. */
export function url(spec: Common & { readonly default: string }): Setting<string> {
  return { ...spec, format: 'wings-url', type: spec.type ?? 'URL' }
}

export function int(spec: Common & { readonly default: number }): Setting<number> {
  return { ...spec, format: 'wings-int', type: spec.type ?? 'integer' }
}

/** An integer ≥ 0 (Go `uint` fields). */
export function uint(spec: Common & { readonly default: number }): Setting<number> {
  return { ...spec, format: 'wings-uint', type: spec.type ?? 'integer ≥ 0' }
}

/** An integer ≥ 1 (this daemon's own limits, where 0 would disable or divide by zero). */
export function positiveInt(spec: Common & { readonly default: number }): Setting<number> {
  return { ...spec, format: 'wings-positive-int', type: spec.type ?? 'integer ≥ 1' }
}

export function port(spec: Common & { readonly default: number }): Setting<number> {
  return { ...spec, format: 'wings-port', type: spec.type ?? 'port (0-65535)' }
}

export function float(spec: Common & { readonly default: number }): Setting<number> {
  return { ...spec, format: 'wings-float', type: spec.type ?? 'number' }
}

export function oneOf<const V extends string>(
  values: readonly V[],
  spec: Common & { readonly default: NoInfer<V> },
): Setting<V> {
  return { ...spec, format: values, type: spec.type ?? values.map((v) => `\`${v}\``).join(' | ') }
}

export function list(
  spec: Common & { readonly default: readonly string[] },
): Setting<readonly string[]> {
  return { ...spec, format: 'wings-string-list', type: spec.type ?? 'list of strings' }
}

export function stringMap(
  spec: Common & { readonly default: Readonly<Record<string, string>> },
): Setting<Readonly<Record<string, string>>> {
  return { ...spec, format: 'object', mapOf: 'string', type: spec.type ?? 'map string → string' }
}

export function registryMap(
  spec: Common & { readonly default: Readonly<Record<string, RegistryCredentials>> },
): Setting<Readonly<Record<string, RegistryCredentials>>> {
  return {
    ...spec,
    format: 'object',
    mapOf: 'registry',
    type: spec.type ?? 'map registry → {username, password}',
  }
}

/** Go `map[int]float64`: keys are memory limits in MiB, written as YAML integers. */
export function multiplierMap(
  spec: Common & { readonly default: Readonly<Record<string, number>> },
): Setting<Readonly<Record<string, number>>> {
  return {
    ...spec,
    format: 'object',
    mapOf: 'multiplier',
    type: spec.type ?? 'map integer → number',
  }
}

/** Whether a schema node is a leaf (convict: a node with a `default`). */
export function isSetting(node: unknown): node is Setting<unknown> {
  return typeof node === 'object' && node !== null && 'default' in node && 'doc' in node
}

/** Settings whose values are strings in the file: YAML scalars there keep their source text. */
export function wantsText(
  setting: Setting<unknown>,
): 'value' | 'elements' | 'map' | 'registry' | undefined {
  if (
    Array.isArray(setting.format) ||
    setting.format === 'wings-string' ||
    setting.format === 'wings-path' ||
    setting.format === 'wings-url'
  ) {
    return 'value'
  }
  if (setting.format === 'wings-string-list') return 'elements'
  if (setting.mapOf === 'string') return 'map'
  if (setting.mapOf === 'registry') return 'registry'
  return undefined
}

const INTEGER = /^[+-]?\d+$/
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

function fail(message: string): never {
  throw new Error(message)
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

// Coercions apply to strings only (convict calls them for environment variables and for string
// values in the file). They are strict, unlike convict's parseInt: "80abc" stays a string and then
// fails validation with a message naming the key.
const toInteger = (value: string): unknown => (INTEGER.test(value.trim()) ? Number(value) : value)
const toNumber = (value: string): unknown => (NUMBER.test(value.trim()) ? Number(value) : value)

function boolFromText(v: string): unknown {
  const s = v.trim().toLowerCase()
  if (['true', '1', 'yes', 'on'].includes(s)) return true
  if (['false', '0', 'no', 'off', ''].includes(s)) return false
  return v
}

const FORMATS: Record<
  string,
  {
    validate: (value: unknown, schema: Setting<unknown>) => void
    coerce?: (value: string) => unknown
  }
> = {
  'wings-bool': {
    validate: (v) => {
      if (typeof v !== 'boolean') fail('must be true or false')
    },
    coerce: (v) => boolFromText(v),
  },
  'wings-bool-or-learn': {
    validate: (v) => {
      if (typeof v !== 'boolean' && v !== 'learn') fail('must be true, false or learn')
    },
    coerce: (v) => (v.trim().toLowerCase() === 'learn' ? 'learn' : boolFromText(v)),
  },
  'wings-string': {
    validate: (v) => {
      if (typeof v !== 'string') fail('must be a string')
    },
  },
  'wings-path': {
    validate: (v) => {
      if (typeof v !== 'string') fail('must be a string holding an absolute path')
      // Relative to what? The service manager's working directory is not the operator's, and
      // Docker mounts only absolute paths.
      if (!v.startsWith('/')) fail('must be an absolute path (starting with /)')
    },
  },
  'wings-url': {
    validate: (v) => {
      if (typeof v !== 'string') fail('must be a URL string such as "https://panel.example.com"')
      if (v === '') return
      let parsed: URL
      try {
        parsed = new URL(v)
      } catch {
        fail('must be an absolute http(s) URL such as "https://panel.example.com"')
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
        fail('must be an absolute http(s) URL such as "https://panel.example.com"')
      }
    },
  },
  'wings-int': {
    validate: (v) => {
      if (!Number.isSafeInteger(v)) fail('must be a whole number')
    },
    coerce: toInteger,
  },
  'wings-uint': {
    validate: (v) => {
      if (!Number.isSafeInteger(v) || (v as number) < 0) fail('must be a whole number ≥ 0')
    },
    coerce: toInteger,
  },
  'wings-positive-int': {
    validate: (v) => {
      if (!Number.isSafeInteger(v) || (v as number) < 1) fail('must be a whole number ≥ 1')
    },
    coerce: toInteger,
  },
  'wings-port': {
    validate: (v) => {
      if (!Number.isSafeInteger(v) || (v as number) < 0 || (v as number) > 65535) {
        fail('must be a port number between 0 and 65535')
      }
    },
    coerce: toInteger,
  },
  'wings-float': {
    validate: (v) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) fail('must be a number')
    },
    coerce: toNumber,
  },
  'wings-string-list': {
    validate: (v) => {
      if (!Array.isArray(v) || !v.every((e) => typeof e === 'string')) {
        fail('must be a list of strings')
      }
    },
    // Environment variables hold comma-separated lists.
    coerce: (v) =>
      v
        .split(',')
        .map((e) => e.trim())
        .filter((e) => e !== ''),
  },
  // Named `object` so that convict's loader treats these keys as maps (it merges their entries
  // and does not descend into them as schema nodes); `mapOf` says what the map holds.
  object: {
    validate: (v, schema) => {
      if (!isPlainObject(v)) fail('must be a mapping')
      for (const [key, entry] of Object.entries(v)) {
        switch (schema.mapOf) {
          case 'string':
            if (typeof entry !== 'string') fail(`entry "${key}" must be a string`)
            break
          case 'registry':
            if (
              !isPlainObject(entry) ||
              typeof (entry['username'] ?? '') !== 'string' ||
              typeof (entry['password'] ?? '') !== 'string'
            ) {
              fail(`entry "${key}" must be a mapping with string "username" and "password"`)
            }
            break
          case 'multiplier':
            if (!INTEGER.test(key)) fail(`key "${key}" must be a whole number of MiB`)
            if (typeof entry !== 'number' || !Number.isFinite(entry)) {
              fail(`entry "${key}" must be a number`)
            }
            break
          default:
        }
      }
    },
    coerce: (v) => {
      try {
        return JSON.parse(v) as unknown
      } catch {
        return v
      }
    },
  },
}

/**
 * Why `value` does not fit `setting`, in the words of its format (`must be a whole number`), or
 * undefined when it fits. No coercion is applied.
 */
export function settingProblem(setting: Setting<unknown>, value: unknown): string | undefined {
  try {
    if (Array.isArray(setting.format)) {
      if (!setting.format.includes(value)) {
        fail(`must be one of the possible values: ${JSON.stringify(setting.format)}`)
      }
    } else {
      FORMATS[setting.format as string]?.validate(value, setting)
    }
    return undefined
  } catch (err) {
    return (err as Error).message
  }
}

let registered = false

/** Registers the formats above with convict (process-wide, once). */
export function registerFormats(): void {
  if (registered) return
  registered = true
  for (const [name, format] of Object.entries(FORMATS)) {
    convict.addFormat({
      name,
      validate: format.validate as (value: unknown, schema: convict.SchemaObj) => void,
      ...(format.coerce ? { coerce: format.coerce } : {}),
    })
  }
}
