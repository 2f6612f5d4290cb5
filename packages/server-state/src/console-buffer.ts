/** Lines kept per server by default: what a websocket `send logs` replays (websocket.md §5). */
export const DEFAULT_CONSOLE_LINES = 150
/** Longer lines are cut, as the console pipeline cuts them (websocket.md §8). */
export const DEFAULT_MAX_LINE_LENGTH = 64 * 1024

export interface ConsoleBufferOptions {
  /** How many lines are kept; a positive integer. */
  readonly lines?: number
  /** Characters kept per line; a positive integer. */
  readonly maxLineLength?: number
}

/**
 * The last N console lines of a server, in a fixed-size ring: `push` is O(1) and the memory held
 * never exceeds N lines of at most `maxLineLength` characters.
 */
export class ConsoleBuffer {
  readonly #lines: (string | undefined)[]
  readonly #maxLineLength: number
  // Index of the slot the next line goes into.
  #next = 0
  #size = 0

  constructor(options: ConsoleBufferOptions = {}) {
    const lines = options.lines ?? DEFAULT_CONSOLE_LINES
    const maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH
    if (!Number.isSafeInteger(lines) || lines < 1) {
      throw new RangeError(`console buffer size must be a positive integer, got ${lines}`)
    }
    if (!Number.isSafeInteger(maxLineLength) || maxLineLength < 1) {
      throw new RangeError(`console line length must be a positive integer, got ${maxLineLength}`)
    }
    this.#lines = new Array<string | undefined>(lines).fill(undefined)
    this.#maxLineLength = maxLineLength
  }

  get capacity(): number {
    return this.#lines.length
  }

  get size(): number {
    return this.#size
  }

  /** Keeps `line`, forgetting the oldest one when full. */
  push(line: string): void {
    this.#lines[this.#next] =
      line.length > this.#maxLineLength ? line.slice(0, this.#maxLineLength) : line
    this.#next = (this.#next + 1) % this.#lines.length
    if (this.#size < this.#lines.length) this.#size++
  }

  /** The newest `n` lines (all kept lines when omitted), oldest first. */
  last(n: number = this.#size): string[] {
    const count = Math.max(0, Math.min(Math.floor(Number.isNaN(n) ? 0 : n), this.#size))
    const out = new Array<string>(count)
    const capacity = this.#lines.length
    const start = (this.#next - count + capacity) % capacity
    for (let i = 0; i < count; i++) out[i] = this.#lines[(start + i) % capacity] as string
    return out
  }

  clear(): void {
    this.#lines.fill(undefined)
    this.#next = 0
    this.#size = 0
  }
}
