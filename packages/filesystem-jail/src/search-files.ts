import path from 'node:path'

import { goGlob } from './go-glob.js'
import type { Jail, JailEntry } from './jail.js'
import { lossyName } from './name-bytes.js'

export interface SearchOptions {
  /** Where the search starts, as the client gave it; matches are named relative to it. */
  readonly directory: string
  /** Three characters or more; compared without case (see `searchMatcher`). */
  readonly pattern: string
  /** Levels below `directory` looked into; 0 lists `directory` only. */
  readonly maxDepth: number
  /** Directory names never entered nor matched, compared without case. */
  readonly excludedDirectories: readonly string[]
  /** The search stops once it holds this many matches. */
  readonly maxResults: number
  /** Aborting stops the walk; what was found so far is returned. */
  readonly signal?: AbortSignal
}

export interface SearchMatch {
  /** The match's directory, as a jail path (lossless), for further jail calls. */
  readonly directory: string
  readonly entry: JailEntry
  /** `directory` of the options joined with the match's path below it, for the client. */
  readonly name: string
}

export interface SearchResult {
  readonly matches: SearchMatch[]
  /** False when the walk stopped early: at `maxResults`, or aborted. */
  readonly complete: boolean
}

/**
 * Files and directories below `directory` whose name matches (Pelican's `files/search`): a
 * depth-first walk through the jail, one directory open at a time, that never follows a symlink
 * (a link is listed as itself and never entered, so nothing outside the root is read) and is
 * bounded in depth, results and time. A missing or unreadable start directory rejects with the
 * jail's error; a directory below it that cannot be read is skipped.
 */
export async function searchFiles(jail: Jail, options: SearchOptions): Promise<SearchResult> {
  const matches = searchMatcher(options.pattern)
  const excluded = new Set(options.excludedDirectories.map((name) => name.toLowerCase()))
  const found: SearchMatch[] = []
  const stopped = (): boolean =>
    found.length >= options.maxResults || options.signal?.aborted === true

  const visit = async (directory: string, shown: string, depth: number): Promise<void> => {
    const subdirectories: { directory: string; shown: string }[] = []
    for await (const entry of jail.list(directory)) {
      if (stopped()) return
      const name = lossyName(entry.name)
      const lower = name.toLowerCase()
      const child = { directory: path.posix.join(directory, entry.name), shown: join(shown, name) }
      if (entry.stats.kind === 'directory') {
        // An excluded directory is no match either, as in the reference.
        if (excluded.has(lower)) continue
        if (depth < options.maxDepth) subdirectories.push(child)
      }
      if (matches(lower)) found.push({ directory, entry, name: child.shown })
    }
    for (const sub of subdirectories) {
      if (stopped()) return
      await visit(sub.directory, sub.shown, depth + 1).catch(() => {
        // Removed or made unreadable meanwhile: the rest of the tree is still searched.
      })
    }
  }

  await visit(options.directory === '' ? '/' : options.directory, options.directory, 0)
  return { matches: found.slice(0, options.maxResults), complete: !stopped() }
}

/**
 * Pelican's test of a lower-cased name against a pattern: a `filepath.Match` glob when the
 * pattern has `*` or `?`; otherwise a substring, or the same extension (`.txt` or `txt`).
 */
export function searchMatcher(pattern: string): (lowerName: string) => boolean {
  const lower = pattern.toLowerCase()
  if (/[*?]/.test(lower)) return goGlob(lower)
  const extension = lower.replace(/^\./, '')
  const byExtension = lower.startsWith('.') || !lower.includes('.')
  return (name) =>
    name.includes(lower) || (byExtension && path.posix.extname(name).slice(1) === extension)
}

/** Go's `filepath.Join`: an empty start directory adds nothing. */
function join(directory: string, name: string): string {
  return directory === '' ? name : path.posix.join(directory, name)
}
