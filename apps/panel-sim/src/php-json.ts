/**
 * JSON as PHP's `json_encode` writes it with default flags (what Laravel's JsonResponse sends):
 * `/` escaped as `\/` and every non-ASCII UTF-16 unit as a lower-case `\uXXXX`.
 */
export function phpJson(value: unknown): string {
  return JSON.stringify(value).replace(/[/\u0080-\uffff]/g, (ch) =>
    ch === '/' ? '\\/' : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/**
 * PHP's `(int)` cast of a request string: leading whitespace, an optional sign and leading digits;
 * anything else is 0.
 */
export function phpInt(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : 0
  if (typeof value === 'boolean') return value ? 1 : 0
  if (typeof value !== 'string') return 0
  const match = /^[ \t\n\r\v\f]*([+-]?\d+)/.exec(value)
  return match ? Number.parseInt(match[1]!, 10) : 0
}

/** PHP's `filter_var($v, FILTER_VALIDATE_INT)`: a whole trimmed integer without leading zeros. */
export function phpValidInt(value: unknown): number | null {
  if (typeof value === 'number') return Number.isInteger(value) ? value : null
  if (typeof value !== 'string') return null
  const match = /^[+-]?(0|[1-9]\d*)$/.exec(value.trim())
  return match ? Number.parseInt(value.trim(), 10) : null
}
