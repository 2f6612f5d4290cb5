import { isIP } from 'node:net'

import { isObject } from './field-reader.js'
import { PanelErrors } from './panel-error.js'

/**
 * The slice of Laravel's validator the remote API's form requests use. Rules per field, e.g.
 * `{ successful: ['required', 'boolean'], 'parts.*.etag': ['required', 'string'] }`; a failed
 * presence rule (`required`, `present`, `required_if`) stops the field, as Laravel does.
 */
export type Rules = Readonly<Record<string, readonly string[]>>

const MESSAGES: Readonly<Record<string, string>> = {
  required: 'The :attribute field is required.',
  present: 'The :attribute field must be present.',
  required_if: 'The :attribute field is required when :other is :value.',
  boolean: 'The :attribute field must be true or false.',
  string: 'The :attribute must be a string.',
  numeric: 'The :attribute must be a number.',
  array: 'The :attribute must be an array.',
  uuid: 'The :attribute must be a valid UUID.',
  ip: 'The :attribute must be a valid IP address.',
  in: 'The selected :attribute is invalid.',
}

const PRESENCE = new Set(['required', 'present', 'required_if'])

/** Throws the Panel's 422 envelope listing every failed rule. */
export function validate(input: Readonly<Record<string, unknown>>, rules: Rules): void {
  const failures: { field: string; rule: string; message: string }[] = []
  for (const [pattern, fieldRules] of Object.entries(rules)) {
    for (const field of expand(input, pattern)) {
      const present = has(input, field)
      const value = get(input, field)
      for (const spec of fieldRules) {
        const [rule, arg = ''] = spec.split(':', 2) as [string, string?]
        if (rule === 'nullable' || rule === 'sometimes') continue
        if (fieldRules.includes('sometimes') && !present) break
        if (!PRESENCE.has(rule)) {
          if (!present) continue
          if (value === null && fieldRules.includes('nullable')) continue
        }
        if (passes(rule, arg, value, present, input)) continue
        const [other = '', otherValue = ''] = arg.split(',')
        failures.push({
          field,
          rule,
          message: (MESSAGES[rule] ?? 'The :attribute is invalid.')
            .replace(':attribute', field.replaceAll('_', ' '))
            .replace(':other', other.replaceAll('_', ' '))
            .replace(':value', otherValue),
        })
        if (PRESENCE.has(rule)) break
      }
    }
  }
  if (failures.length > 0) throw PanelErrors.validation(failures)
}

function passes(
  rule: string,
  arg: string,
  value: unknown,
  present: boolean,
  input: Readonly<Record<string, unknown>>,
): boolean {
  switch (rule) {
    case 'required':
      return !isEmpty(value)
    case 'present':
      return present
    case 'required_if': {
      const [other = '', expected = ''] = arg.split(',')
      const actual = get(input, other)
      const triggered =
        expected === 'true' ? actual === true || actual === 'true' : String(actual) === expected
      return !triggered || !isEmpty(value)
    }
    case 'boolean':
      return [true, false, 0, 1, '0', '1'].includes(value as never)
    case 'string':
      return typeof value === 'string'
    case 'numeric':
      return (
        (typeof value === 'number' && Number.isFinite(value)) ||
        (typeof value === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(value))
      )
    case 'array':
      return Array.isArray(value) || isObject(value)
    case 'uuid':
      return (
        typeof value === 'string' &&
        /^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/i.test(value)
      )
    case 'ip':
      return typeof value === 'string' && isIP(value) !== 0
    case 'in':
      return typeof value === 'string' && arg.split(',').includes(value)
    default:
      throw new Error(`unknown validation rule ${rule}`)
  }
}

/** PHP's notion of a missing value for `required`: null, "" (already null here) or an empty array. */
function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined) return true
  if (typeof value === 'string') return value.trim() === ''
  if (Array.isArray(value)) return value.length === 0
  if (isObject(value)) return Object.keys(value).length === 0
  return false
}

function expand(input: unknown, pattern: string): string[] {
  const star = pattern.indexOf('*')
  if (star === -1) return [pattern]
  const head = pattern.slice(0, star - 1)
  const tail = pattern.slice(star + 1)
  const container = get(input, head)
  const keys = Array.isArray(container)
    ? container.map((_, i) => String(i))
    : isObject(container)
      ? Object.keys(container)
      : []
  return keys.flatMap((k) => expand(input, `${head}.${k}${tail}`))
}

function segments(path: string): string[] {
  return path.split('.')
}

function get(root: unknown, path: string): unknown {
  let current: unknown = root
  for (const segment of segments(path)) {
    if (Array.isArray(current)) current = current[Number(segment)]
    else if (isObject(current)) current = current[segment]
    else return undefined
  }
  return current
}

function has(root: unknown, path: string): boolean {
  let current: unknown = root
  for (const segment of segments(path)) {
    if (Array.isArray(current) && /^\d+$/.test(segment) && Number(segment) < current.length)
      current = current[Number(segment)]
    else if (isObject(current) && Object.hasOwn(current, segment)) current = current[segment]
    else return false
  }
  return true
}

/** Laravel's `$request->boolean($key)`: true for true, 1, "1", "true", "on", "yes". */
export function inputBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value
  if (typeof value === 'number') return value === 1
  if (typeof value === 'string') return ['1', 'true', 'on', 'yes'].includes(value.toLowerCase())
  return false
}
