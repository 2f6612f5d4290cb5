import path from 'node:path'

import { mapLimited, type Jail, type JailEntry } from '@node/filesystem-jail'

import { BINARY_MIME, cheapMime, sniffFile } from './mime-evidence.js'
import { toWireStat, type WireStat } from './wire-stat.js'

/** Files whose type only their content tells that one listing may open; the rest are binary. */
export const SNIFF_BUDGET = 32
/** Entries stat'ed and typed together: bounds memory and the open descriptors of one listing. */
const STEP = 64
/** Files of one listing sniffed at once. */
export const SNIFF_FAN_OUT = 16

export interface PageRequest {
  /** 1-based. */
  readonly page: number
  readonly perPage: number
}

export interface DirectoryPage {
  readonly total: number
  readonly page: number
  readonly per_page: number
  readonly entries: WireStat[]
}

/**
 * Every entry of `directory` as §7.2 Stat objects, in the directory's own order (the Panel
 * sorts client-side), a step at a time so that memory stays flat in the number of entries.
 * The first step runs before anything is yielded, so a missing directory fails up front.
 */
export async function* listDirectory(jail: Jail, directory: string): AsyncGenerator<WireStat[]> {
  const budget = { left: SNIFF_BUDGET }
  let step: JailEntry[] = []
  for await (const entry of jail.list(directory)) {
    step.push(entry)
    if (step.length === STEP) {
      yield await describe(jail, directory, step, budget)
      step = []
    }
  }
  if (step.length > 0) yield await describe(jail, directory, step, budget)
}

/**
 * One page of `directory`, directories first then by name. Holds at most `page * perPage`
 * entries' metadata while it reads, never the whole directory.
 */
export async function listDirectoryPage(
  jail: Jail,
  directory: string,
  request: PageRequest,
): Promise<DirectoryPage> {
  const keep = request.page * request.perPage
  const window: JailEntry[] = []
  let total = 0
  for await (const entry of jail.list(directory)) {
    total++
    if (window.length === keep && compareEntries(entry, window[keep - 1]!) >= 0) continue
    window.splice(insertionIndex(window, entry), 0, entry)
    if (window.length > keep) window.pop()
  }
  const slice = window.slice(keep - request.perPage)
  const entries = await describe(jail, directory, slice, { left: slice.length })
  return { total, page: request.page, per_page: request.perPage, entries }
}

/** Directories first, then by name. */
function compareEntries(a: JailEntry, b: JailEntry): number {
  const dirA = a.stats.kind === 'directory'
  const dirB = b.stats.kind === 'directory'
  if (dirA !== dirB) return dirA ? -1 : 1
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0
}

function insertionIndex(sorted: readonly JailEntry[], entry: JailEntry): number {
  let low = 0
  let high = sorted.length
  while (low < high) {
    const mid = (low + high) >>> 1
    if (compareEntries(sorted[mid]!, entry) <= 0) low = mid + 1
    else high = mid
  }
  return low
}

async function describe(
  jail: Jail,
  directory: string,
  entries: readonly JailEntry[],
  budget: { left: number },
): Promise<WireStat[]> {
  // A page may hold a thousand files to sniff: a few are opened at a time.
  return mapLimited(entries, SNIFF_FAN_OUT, (entry) =>
    describeEntry(jail, directory, entry, budget),
  )
}

/**
 * One entry of `directory` as a §7.2 Stat object. Its mime type comes from its name and kind,
 * else from its first bytes while `budget` lasts (each sniff spends one), else it is binary.
 */
export async function describeEntry(
  jail: Jail,
  directory: string,
  { name, stats }: JailEntry,
  budget: { left: number },
): Promise<WireStat> {
  let mime = cheapMime(name, stats)
  if (mime === undefined) {
    // Decided before any await, so concurrent entries cannot overdraw the budget.
    const mayOpen = budget.left > 0
    if (mayOpen) budget.left--
    mime = mayOpen ? await sniffFile(jail, path.posix.join(directory, name)) : BINARY_MIME
  }
  return toWireStat(name, stats, mime)
}
