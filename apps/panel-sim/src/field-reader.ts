/** Thrown for a fixture or admin request that does not have the documented shape. */
export class FixtureError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'FixtureError'
  }
}

type Json = Record<string, unknown>

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Reads typed fields out of an untrusted object; every failure names the field's path, so a broken
 * fixture says which line to fix.
 */
export class FieldReader {
  readonly #value: Json
  readonly #path: string

  constructor(value: unknown, path: string) {
    if (!isObject(value)) throw new FixtureError(`${path} must be an object`)
    this.#value = value
    this.#path = path
  }

  has(key: string): boolean {
    return this.#value[key] !== undefined
  }

  raw(key: string): unknown {
    return this.#value[key]
  }

  path(key: string): string {
    return `${this.#path}.${key}`
  }

  /** Rejects keys this reader does not know, to catch typos in fixtures. */
  only(keys: readonly string[]): void {
    for (const key of Object.keys(this.#value)) {
      if (!keys.includes(key)) {
        throw new FixtureError(`${this.path(key)} is not a known field (known: ${keys.join(', ')})`)
      }
    }
  }

  string(key: string, fallback: string): string {
    const v = this.#value[key]
    if (v === undefined) return fallback
    if (typeof v !== 'string') throw new FixtureError(`${this.path(key)} must be a string`)
    return v
  }

  nullableString(key: string, fallback: string | null): string | null {
    const v = this.#value[key]
    if (v === undefined) return fallback
    if (v !== null && typeof v !== 'string') {
      throw new FixtureError(`${this.path(key)} must be a string or null`)
    }
    return v
  }

  int(
    key: string,
    fallback: number,
    min = Number.MIN_SAFE_INTEGER,
    max = Number.MAX_SAFE_INTEGER,
  ): number {
    const v = this.#value[key]
    if (v === undefined) return fallback
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new FixtureError(`${this.path(key)} must be an integer from ${min} to ${max}`)
    }
    return v
  }

  nullableInt(key: string, fallback: number | null, min = 0): number | null {
    const v = this.#value[key]
    if (v === null) return null
    return v === undefined ? fallback : this.int(key, 0, min)
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.#value[key]
    if (v === undefined) return fallback
    if (typeof v !== 'boolean') throw new FixtureError(`${this.path(key)} must be true or false`)
    return v
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const v = this.#value[key]
    if (v === undefined) return fallback
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      throw new FixtureError(`${this.path(key)} must be one of ${allowed.join(', ')}`)
    }
    return v as T
  }

  array(key: string): unknown[] {
    const v = this.#value[key]
    if (v === undefined) return []
    if (!Array.isArray(v)) throw new FixtureError(`${this.path(key)} must be an array`)
    return v
  }

  stringArray(key: string, fallback: readonly string[]): string[] {
    if (this.#value[key] === undefined) return [...fallback]
    return this.array(key).map((item, i) => {
      if (typeof item !== 'string')
        throw new FixtureError(`${this.path(key)}[${i}] must be a string`)
      return item
    })
  }

  /** A JSON document the Panel stores as text: accepted as the text or as the decoded value. */
  jsonText(key: string, fallback: string | null): string | null {
    const v = this.#value[key]
    if (v === undefined) return fallback
    if (v === null) return null
    if (typeof v === 'string') {
      try {
        JSON.parse(v)
      } catch {
        throw new FixtureError(`${this.path(key)} must be valid JSON text or a JSON value`)
      }
      return v
    }
    return JSON.stringify(v)
  }

  reader(key: string): FieldReader {
    return new FieldReader(this.#value[key] ?? {}, this.path(key))
  }
}
