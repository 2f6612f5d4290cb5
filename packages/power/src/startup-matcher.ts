import { stripVTControlCharacters } from 'node:util'

import type { ProcessConfiguration } from '@node/server-state'

/** Tests one console line against the egg's `startup.done` entries. */
export type DoneMatcher = (line: string) => boolean

const compiled = new WeakMap<ProcessConfiguration['startup'], DoneMatcher>()

/**
 * The matcher of the egg's startup: an entry `regex:<pattern>` is a regular expression, any other
 * entry a plain substring (behaviour §3.3). An entry whose pattern does not compile never matches.
 * Cached per startup object (configurations are replaced as a whole on sync).
 */
export function doneMatcherOf(startup: ProcessConfiguration['startup']): DoneMatcher {
  let matcher = compiled.get(startup)
  if (matcher) return matcher
  const tests = startup.done.flatMap((entry): DoneMatcher[] => {
    if (!entry.startsWith('regex:')) return entry === '' ? [] : [(line) => line.includes(entry)]
    try {
      const pattern = new RegExp(entry.slice('regex:'.length))
      return [(line) => pattern.test(line)]
    } catch {
      return []
    }
  })
  matcher = (line) => tests.some((test) => test(line))
  compiled.set(startup, matcher)
  return matcher
}

/** The line as the startup inspection sees it: without ANSI escapes when the egg asks. */
export function inspectedLine(line: string, stripAnsi: boolean): string {
  return stripAnsi ? stripVTControlCharacters(line) : line
}
