const NANOS_PER_SECOND = 1_000_000_000n

/**
 * An activity timestamp as the Panel receives it (panel-remote-calls.md §8): UTC RFC 3339 with
 * Go's `RFC3339Nano` fraction, trailing zeros trimmed and no fraction at all on a whole second
 * (`2024-03-17T20:58:30.123456789Z`, `2024-03-17T20:59:00Z`). A `bigint` is nanoseconds since the
 * Unix epoch; a Date has millisecond precision.
 */
export function formatActivityTimestamp(time: Date | bigint): string {
  let nanos: bigint
  if (typeof time === 'bigint') {
    nanos = time
  } else {
    const ms = time.getTime()
    if (!Number.isFinite(ms)) throw new RangeError('Cannot format an invalid Date.')
    nanos = BigInt(ms) * 1_000_000n
  }
  let seconds = nanos / NANOS_PER_SECOND
  let fraction = nanos % NANOS_PER_SECOND
  if (fraction < 0n) {
    // Before 1970 the remainder is negative; borrow a second so the fraction counts forward.
    seconds -= 1n
    fraction += NANOS_PER_SECOND
  }
  const date = new Date(Number(seconds) * 1000)
  if (Number.isNaN(date.getTime())) throw new RangeError('The timestamp is out of range.')
  const whole = date.toISOString().replace(/\.\d{3}Z$/, '')
  if (fraction === 0n) return `${whole}Z`
  return `${whole}.${fraction.toString().padStart(9, '0').replace(/0+$/, '')}Z`
}
