import { InvalidTokenError } from '@node/shared-kernel'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Longest `jti`, `unique_id` or scope string accepted; the Panel's are 16 to 64 characters. */
export const MAX_ID_LENGTH = 256
/** Longest `file_path` accepted (Linux PATH_MAX). */
const MAX_PATH_LENGTH = 4096

export function isUuid(value: string): boolean {
  return UUID.test(value)
}

/**
 * Typed reads of a verified token's JSON payload. A claim that is absent or null reads as
 * undefined (the caller decides what absence means); a claim of the wrong type or shape throws
 * InvalidTokenError, as the reference daemon fails to decode such a payload at all.
 */
export class TokenPayload {
  readonly #claims: Readonly<Record<string, unknown>>

  constructor(payload: unknown) {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      throw new InvalidTokenError('token payload is not a JSON object')
    }
    this.#claims = payload as Record<string, unknown>
  }

  has(name: string): boolean {
    return this.#get(name) !== undefined
  }

  integer(name: string): number | undefined {
    const value = this.#get(name)
    if (value === undefined) return undefined
    // The Panel writes whole seconds; the reference refuses fractions and strings.
    if (!Number.isSafeInteger(value)) throw new InvalidTokenError(`claim ${name} is not an integer`)
    return value as number
  }

  string(name: string, maxLength = MAX_ID_LENGTH): string | undefined {
    const value = this.#get(name)
    if (value === undefined) return undefined
    if (typeof value !== 'string') throw new InvalidTokenError(`claim ${name} is not a string`)
    if (value.length > maxLength) throw new InvalidTokenError(`claim ${name} is too long`)
    return value
  }

  /** A non-empty string; an empty one counts as absent, as in the reference. */
  id(name: string): string | undefined {
    const value = this.string(name)
    return value === '' ? undefined : value
  }

  uuid(name: string): string | undefined {
    const value = this.id(name)
    if (value !== undefined && !isUuid(value)) {
      throw new InvalidTokenError(`claim ${name} is not a UUID`)
    }
    return value
  }

  path(name: string): string | undefined {
    const value = this.string(name, MAX_PATH_LENGTH)
    if (value?.includes('\0')) throw new InvalidTokenError(`claim ${name} holds a NUL byte`)
    return value
  }

  stringArray(name: string): readonly string[] | undefined {
    const value = this.#get(name)
    if (value === undefined) return undefined
    if (!Array.isArray(value) || value.length > MAX_ID_LENGTH) {
      throw new InvalidTokenError(`claim ${name} is not a list of strings`)
    }
    for (const item of value) {
      if (typeof item !== 'string' || item.length > MAX_ID_LENGTH) {
        throw new InvalidTokenError(`claim ${name} is not a list of strings`)
      }
    }
    return Object.freeze([...(value as string[])])
  }

  /** `scope`: space-separated names; undefined when the token carries none. */
  scopes(): readonly string[] | undefined {
    const value = this.string('scope')
    return value === undefined ? undefined : Object.freeze(value.split(' '))
  }

  /** `iss` and `aud` are not checked (tokens.md §2), but must have the types the Panel writes. */
  checkUncheckedClaims(): void {
    this.string('iss', MAX_PATH_LENGTH)
    const aud = this.#get('aud')
    if (aud !== undefined && typeof aud !== 'string') this.stringArray('aud')
  }

  #get(name: string): unknown {
    if (!Object.hasOwn(this.#claims, name)) return undefined
    const value = this.#claims[name]
    return value === null ? undefined : value
  }
}
