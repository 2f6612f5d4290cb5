import { pipeline, type Readable, Transform, type TransformCallback } from 'node:stream'

import type { Clock } from '@node/shared-kernel'

// Unused allowance kept for a later burst: one second's worth, as a token bucket of that size.
const BURST_MS = 1000

/**
 * A pass-through that holds its input to `bytesPerSecond` on average, timed by `clock`
 * (`system.backups.write_limit`: archive writes and restore reads). Each chunk goes on at once;
 * the next one is accepted only when the running total is back under the rate.
 */
export class RateLimit extends Transform {
  readonly #clock: Clock
  readonly #msPerByte: number
  #next: number
  #cancel: (() => void) | undefined

  constructor(options: { readonly bytesPerSecond: number; readonly clock: Clock }) {
    super({ highWaterMark: 1024 * 1024 })
    if (!(options.bytesPerSecond > 0)) {
      throw new RangeError(`bytesPerSecond must be positive, got ${options.bytesPerSecond}`)
    }
    this.#clock = options.clock
    this.#msPerByte = 1000 / options.bytesPerSecond
    this.#next = options.clock.now()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const now = this.#clock.now()
    this.#next = Math.max(this.#next, now - BURST_MS) + chunk.length * this.#msPerByte
    this.push(chunk)
    const wait = this.#next - now
    if (wait <= 0) {
      done()
      return
    }
    this.#cancel = this.#clock.setTimeout(() => {
      this.#cancel = undefined
      done()
    }, wait)
  }

  override _destroy(error: Error | null, done: (error: Error | null) => void): void {
    this.#cancel?.()
    this.#cancel = undefined
    done(error)
  }
}

/** `readable` through a RateLimit when `bytesPerSecond` is positive, else `readable` itself. */
export function limitRate(readable: Readable, bytesPerSecond: number, clock: Clock): Readable {
  if (!(bytesPerSecond > 0)) return readable
  const limit = new RateLimit({ bytesPerSecond, clock })
  // Errors and early ends travel both ways: either side failing destroys the other.
  pipeline(readable, limit, () => undefined)
  return limit
}
