// How Go's SQLite driver writes a time (the reference's rows): `2024-03-17 20:58:30.123456789+00:00`.
const STORED = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}:?\d{2})?/

/** A time as the database column holds it, in the reference's format (UTC, milliseconds). */
export function toStoredTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, 23).replace(/\.?0+$/, '')}+00:00`
}

/**
 * A stored time back in milliseconds: the reference's format, RFC 3339, or epoch seconds;
 * something else reads as the epoch (it still reaches the Panel, which keeps it as sent).
 */
export function fromStoredTimestamp(value: string | number): number {
  if (typeof value === 'number') return value * 1000
  const match = STORED.exec(value.trim())
  if (!match) return 0
  const [, date, time, fraction = '', zone = 'Z'] = match
  const millis = (fraction + '000').slice(0, 3)
  const offset = zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`
  const parsed = Date.parse(`${date}T${time}.${millis}${offset}`)
  return Number.isNaN(parsed) ? 0 : parsed
}
