import { InvalidPanelDataError } from './invalid-panel-data-error.js'

export type JsonObject = Readonly<Record<string, unknown>>

// Typed reads of untrusted JSON. Each reader takes the value and the path it was found at and
// throws InvalidPanelDataError naming that path. Absent or null values read as Go's zero value
// (the reference decodes the Panel's JSON into Go structs, so a missing key is a zero, never an
// error); a value of the wrong type is always an error.

/** A short description of a JSON value for error messages; long strings are cut. */
function describeJson(value: unknown): string {
  if (value === undefined) return 'nothing (the key is absent)'
  if (value === null) return 'null'
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array'
  if (typeof value === 'string') {
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`
  }
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`
  return `${typeof value === 'object' ? 'an object' : typeof value}`
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function fail(field: string, expected: string, value: unknown): never {
  throw new InvalidPanelDataError(field, `expected ${expected}, got ${describeJson(value)}`)
}

export function join(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`
  return parent === '' ? key : `${parent}.${key}`
}

/** A required object: absent and null are errors. */
export function readObject(value: unknown, field: string): JsonObject {
  if (!isJsonObject(value)) fail(field, 'an object', value)
  return value
}

/** An object where absent or null means empty. */
export function readOptionalObject(value: unknown, field: string): JsonObject {
  if (value === undefined || value === null) return {}
  return readObject(value, field)
}

/**
 * A JSON object used as a map. PHP encodes an empty associative array as `[]`, so `[]` (and
 * null, and absence) read as an empty map; a non-empty array is an error.
 */
export function readMap(value: unknown, field: string): JsonObject {
  if (value === undefined || value === null) return {}
  if (Array.isArray(value) && value.length === 0) return {}
  return readObject(value, field)
}

export function readString(value: unknown, field: string): string {
  if (value === undefined || value === null) return ''
  if (typeof value !== 'string') fail(field, 'a string', value)
  return value
}

export function readRequiredString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') fail(field, 'a non-empty string', value)
  return value
}

export function readBoolean(value: unknown, field: string): boolean {
  if (value === undefined || value === null) return false
  if (typeof value !== 'boolean') fail(field, 'a boolean', value)
  return value
}

export function readOptionalBoolean(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'boolean') fail(field, 'a boolean', value)
  return value
}

/** A whole number within [min, max]; absent or null reads as 0 when 0 is allowed. */
export function readInteger(
  value: unknown,
  field: string,
  range: { readonly min?: number; readonly max?: number } = {},
): number {
  const min = range.min ?? Number.MIN_SAFE_INTEGER
  const max = range.max ?? Number.MAX_SAFE_INTEGER
  const number = value === undefined || value === null ? 0 : value
  if (typeof number !== 'number' || !Number.isSafeInteger(number)) {
    fail(field, 'an integer', value)
  }
  if (number < min || number > max) {
    const bounds = range.max === undefined ? `of at least ${min}` : `from ${min} to ${max}`
    fail(field, `an integer ${bounds}`, value)
  }
  return number
}

/** A list; absent or null reads as empty. */
export function readArray(value: unknown, field: string): readonly unknown[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) fail(field, 'an array', value)
  return value
}

export function readStringArray(value: unknown, field: string): string[] {
  return readArray(value, field).map((item, index) => {
    if (typeof item !== 'string') fail(join(field, index), 'a string', item)
    return item
  })
}
