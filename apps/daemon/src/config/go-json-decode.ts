import { isPlainObject } from './config-tree.js'
import type { GoStruct, GoType } from './wings-json-fields.js'

/** A JSON value whose type does not fit the Go field (Go's json.UnmarshalTypeError). */
export class GoJsonTypeError extends Error {
  /** Dotted path of the field in the JSON document, e.g. `api.port`. */
  readonly field: string

  constructor(field: string, expected: string, got: unknown) {
    super(`json: cannot unmarshal ${jsonKind(got)} into Go field "${field}" of type ${expected}`)
    this.name = 'GoJsonTypeError'
    this.field = field
  }
}

/**
 * Decodes `json` over `current` as Go's `json.Unmarshal` into a struct holding `current` would,
 * without mutating `current`: fields absent from `json` keep their values, unknown JSON keys are
 * ignored, keys of `current` unknown to `type` are kept, and a JSON key matches a field by exact
 * JSON name, else case-insensitively. `null` leaves a value alone, except that it empties a list
 * or a map. Maps are merged entry by entry; lists are replaced.
 */
export function decodeGoJson(
  current: unknown,
  json: unknown,
  type: GoStruct,
): Record<string, unknown> {
  return decodeStruct(current, json, type, '')
}

function decode(current: unknown, json: unknown, type: GoType, field: string): unknown {
  if (json === null) {
    if (typeof type === 'object' && 'slice' in type) return []
    if (typeof type === 'object' && 'map' in type) return {}
    return current
  }
  switch (type) {
    case 'bool':
      if (typeof json !== 'boolean') throw new GoJsonTypeError(field, 'bool', json)
      return json
    case 'string':
      if (typeof json !== 'string') throw new GoJsonTypeError(field, 'string', json)
      return json
    case 'int':
      if (!Number.isSafeInteger(json)) throw new GoJsonTypeError(field, 'int', json)
      return json
    case 'uint':
      if (!Number.isSafeInteger(json) || (json as number) < 0) {
        throw new GoJsonTypeError(field, 'uint', json)
      }
      return json
    case 'float':
      if (typeof json !== 'number') throw new GoJsonTypeError(field, 'float64', json)
      return json
    default:
  }
  if ('slice' in type) {
    if (!Array.isArray(json)) throw new GoJsonTypeError(field, 'slice', json)
    return json.map((element, i) =>
      decode(zeroOf(type.slice), element, type.slice, `${field}[${i}]`),
    )
  }
  if ('map' in type) {
    if (!isPlainObject(json)) throw new GoJsonTypeError(field, 'map', json)
    const out: Record<string, unknown> = isPlainObject(current) ? { ...current } : {}
    for (const [rawKey, value] of Object.entries(json)) {
      let key = rawKey
      if (type.key === 'int') {
        if (!/^[+-]?\d+$/.test(rawKey) || !Number.isSafeInteger(Number(rawKey))) {
          throw new GoJsonTypeError(`${field}.${rawKey}`, 'int (map key)', rawKey)
        }
        key = String(Number(rawKey))
      }
      // Go decodes each entry into a fresh value, not over the existing entry.
      out[key] = decode(zeroOf(type.map), value, type.map, `${field}.${rawKey}`)
    }
    return out
  }
  return decodeStruct(current, json, type, field)
}

function decodeStruct(
  current: unknown,
  json: unknown,
  type: GoStruct,
  field: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = isPlainObject(current) ? { ...current } : {}
  if (json === null) return out
  if (!isPlainObject(json)) throw new GoJsonTypeError(field || '(document)', 'struct', json)
  for (const [key, value] of Object.entries(json)) {
    const target = findField(type, key)
    if (!target) continue
    const name = field ? `${field}.${key}` : key
    const existing = Object.hasOwn(out, target.yaml) ? out[target.yaml] : zeroOf(target.type)
    out[target.yaml] = decode(existing, value, target.type, name)
  }
  return out
}

/** encoding/json's rule: the field whose JSON name equals the key, else one equal under case folding. */
function findField(type: GoStruct, key: string) {
  const exact = type.fields.find((f) => f.json === key)
  if (exact) return exact
  const folded = fold(key)
  return type.fields.find((f) => f.json !== null && fold(f.json) === folded)
}

// Go folds with unicode.SimpleFold, under which 'ſ' (U+017F) equals 's' and 'K' (U+212A) equals
// 'k'; upper-then-lower casing of single characters reproduces that for the names involved here.
function fold(name: string): string {
  let out = ''
  for (const ch of name) {
    if (ch.charCodeAt(0) < 0x80) out += ch.toLowerCase()
    else {
      const upper = ch.toUpperCase()
      out += upper.length === 1 ? upper.toLowerCase() : ch
    }
  }
  return out
}

function zeroOf(type: GoType): unknown {
  switch (type) {
    case 'bool':
      return false
    case 'string':
      return ''
    case 'int':
    case 'uint':
    case 'float':
      return 0
    default:
  }
  if ('slice' in type) return []
  if ('map' in type) return {}
  return Object.fromEntries(type.fields.map((f) => [f.yaml, zeroOf(f.type)]))
}

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array'
  if (value === null) return 'null'
  if (typeof value === 'object') return 'object'
  if (typeof value === 'number') return `number ${String(value)}`
  return typeof value
}
