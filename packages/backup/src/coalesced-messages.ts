import type { Clock } from '@node/shared-kernel'

/** Default spacing of frames: at most four a second. */
export const DEFAULT_MESSAGE_INTERVAL_MS = 250

// The Panel writes each `daemon message` with xterm's writeln and no end-of-line conversion,
// so lines inside one frame need a carriage return to start at the left margin.
const LINE_SEPARATOR = '\r\n'

/**
 * Turns a burst of lines (one `(restoring): <path>` per restored file) into a few frames a
 * second: the first line goes out at once, the lines that follow within `intervalMs` go out
 * together, joined, when the interval is over. No line is dropped and the order is kept.
 */
export class CoalescedMessages {
  readonly #publish: (text: string) => void
  readonly #clock: Clock
  readonly #intervalMs: number
  #lines: string[] = []
  #lastFlush = Number.NEGATIVE_INFINITY
  #cancel: (() => void) | undefined

  constructor(options: {
    readonly publish: (text: string) => void
    readonly clock: Clock
    readonly intervalMs?: number
  }) {
    this.#publish = options.publish
    this.#clock = options.clock
    this.#intervalMs = options.intervalMs ?? DEFAULT_MESSAGE_INTERVAL_MS
  }

  push(line: string): void {
    this.#lines.push(line)
    if (this.#cancel !== undefined) return
    const due = this.#lastFlush + this.#intervalMs
    const now = this.#clock.now()
    if (now >= due) this.flush()
    else this.#cancel = this.#clock.setTimeout(() => this.flush(), due - now)
  }

  /** Publishes the lines held back, if any, at once. */
  flush(): void {
    this.#cancel?.()
    this.#cancel = undefined
    if (this.#lines.length === 0) return
    const text = this.#lines.join(LINE_SEPARATOR)
    this.#lines = []
    this.#lastFlush = this.#clock.now()
    this.#publish(text)
  }
}
