import ignore, { type Ignore } from 'ignore'

import { lossyName } from './name-bytes.js'

/**
 * The egg's `file_denylist`: gitignore patterns (case-sensitive, as the reference's matcher is),
 * matched against paths relative to the server root.
 */
export class Denylist {
  readonly patterns: readonly string[]
  readonly #matcher: Ignore | undefined

  constructor(patterns: readonly unknown[] = []) {
    // Blank lines and comments are part of gitignore syntax; anything not a string is dropped.
    this.patterns = patterns.filter(
      (p): p is string => typeof p === 'string' && p.trim() !== '' && !p.includes('\0'),
    )
    this.#matcher =
      this.patterns.length === 0 ? undefined : ignore({ ignorecase: false }).add([...this.patterns])
  }

  /** True when no pattern is set: every check passes without work. */
  get empty(): boolean {
    return this.#matcher === undefined
  }

  /**
   * Whether `relative` (components joined with `/`, no leading slash) is denied. A directory
   * must say so: gitignore's `dir/` patterns match only directories, and everything beneath a
   * denied directory is denied too.
   */
  isDenied(relative: string, isDirectory: boolean): boolean {
    if (this.#matcher === undefined || relative === '') return false
    // Matched as the name is shown (bytes that are not UTF-8 as U+FFFD), however it was spelled.
    const shown = lossyName(relative)
    try {
      return this.#matcher.ignores(isDirectory ? `${shown}/` : shown)
    } catch {
      // The matcher refuses a path shape it cannot judge: fail closed.
      return true
    }
  }
}
