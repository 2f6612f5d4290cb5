import { invalidBody } from './json-body.js'

// Field readers with Go's json.Unmarshal semantics: a missing field is its zero value, a field of
// the wrong type fails the whole body with the generic 400 (http-api §3).

export type JsonObject = Readonly<Record<string, unknown>>

export function asObject(value: unknown): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidBody()
  return value as JsonObject
}

export function optionalString(body: JsonObject, key: string): string | undefined {
  const value = body[key]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw invalidBody()
  return value
}

export function requiredString(body: JsonObject, key: string): string {
  const value = optionalString(body, key)
  if (value === undefined || value === '') throw invalidBody()
  return value
}

export function optionalBoolean(body: JsonObject, key: string): boolean | undefined {
  const value = body[key]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'boolean') throw invalidBody()
  return value
}

export function optionalInteger(body: JsonObject, key: string): number | undefined {
  const value = body[key]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidBody()
  return value
}

export function optionalStringArray(body: JsonObject, key: string): string[] | undefined {
  const value = body[key]
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw invalidBody()
  return value
}
