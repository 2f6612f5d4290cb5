import { mapLimited, type Jail, type SearchMatch } from '@node/filesystem-jail'

import { describeEntry, SNIFF_BUDGET, SNIFF_FAN_OUT } from './list-directory.js'
import type { WireStat } from './wire-stat.js'

/**
 * `files/search` matches as §7.2 Stat objects, typed as a listing types its entries; `name` is
 * the match's path below the searched directory, as Pelican answers it.
 */
export function searchMatchesWire(
  jail: Jail,
  matches: readonly SearchMatch[],
): Promise<WireStat[]> {
  const budget = { left: SNIFF_BUDGET }
  return mapLimited(matches, SNIFF_FAN_OUT, async (match) => ({
    ...(await describeEntry(jail, match.directory, match.entry, budget)),
    name: match.name,
  }))
}
