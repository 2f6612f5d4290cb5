import { StringDecoder } from 'node:string_decoder'

/** Longest console line; longer output is split into lines of this length (websocket.md §8). */
export const MAX_CONSOLE_LINE_LENGTH = 64 * 1024

/**
 * Turns a byte stream into console lines as Wings does: split on `\n`, the terminator (and a `\r`
 * before it) removed, `" \r"` turned into `" \r\n"`, empty lines dropped, and lines longer than
 * `maxLength` characters split. Multi-byte characters may straddle chunks.
 */
export class ConsoleLineSplitter {
  readonly #decoder = new StringDecoder('utf8')
  readonly #onLine: (line: string) => void
  readonly #maxLength: number
  #pending = ''

  constructor(onLine: (line: string) => void, maxLength = MAX_CONSOLE_LINE_LENGTH) {
    this.#onLine = onLine
    this.#maxLength = maxLength
  }

  push(chunk: Buffer | string): void {
    const text = this.#pending + (typeof chunk === 'string' ? chunk : this.#decoder.write(chunk))
    let start = 0
    for (;;) {
      const newline = text.indexOf('\n', start)
      if (newline === -1) break
      let end = newline
      if (end > start && text.charCodeAt(end - 1) === 13) end--
      this.#emitLong(text.slice(start, end))
      start = newline + 1
    }
    let rest = start === 0 ? text : text.slice(start)
    while (rest.length >= this.#maxLength) {
      this.#emit(rest.slice(0, this.#maxLength))
      rest = rest.slice(this.#maxLength)
    }
    this.#pending = rest
  }

  /** Emits what is left after the last newline; call once the stream has ended. */
  end(): void {
    const rest = this.#pending + this.#decoder.end()
    this.#pending = ''
    this.#emitLong(rest.endsWith('\r') ? rest.slice(0, -1) : rest)
  }

  #emitLong(line: string): void {
    while (line.length > this.#maxLength) {
      this.#emit(line.slice(0, this.#maxLength))
      line = line.slice(this.#maxLength)
    }
    this.#emit(line)
  }

  #emit(line: string): void {
    if (line === '') return
    this.#onLine(line.includes(' \r') ? line.replaceAll(' \r', ' \r\n') : line)
  }
}
