import type { ServerListEntry } from '@node/server-state'
import type { Logger } from '@node/shared-kernel'

import { parseServerConfiguration } from './parse-server-configuration.js'
import { fail, isJsonObject, join, readArray, readObject } from './wire-reader.js'

/** One page of `GET /servers` (panel-remote-calls.md §3). */
export interface ServerListPage {
  readonly entries: ServerListEntry[]
  readonly currentPage: number
  readonly lastPage: number
}

/**
 * Reads a page of the boot list. The envelope must be sound (an object with `data` and
 * `meta.current_page`/`meta.last_page`), else InvalidPanelDataError; each entry is parsed on its
 * own, so one malformed server becomes `{uuid, error}` and the others still load.
 */
export function parseServerListPage(raw: unknown, logger?: Logger): ServerListPage {
  const page = readObject(raw, 'the server list')
  const meta = readObject(page.meta, 'meta')
  const entries = readArray(page.data, 'data').map((entry, index): ServerListEntry => {
    const field = join('data', index)
    try {
      return {
        uuid: uuidOf(entry),
        configuration: parseServerConfiguration(entry, { field, logger }),
      }
    } catch (err) {
      return { uuid: uuidOf(entry), error: err as Error }
    }
  })
  return {
    entries,
    currentPage: readPageNumber(meta.current_page, 'meta.current_page'),
    lastPage: readPageNumber(meta.last_page, 'meta.last_page'),
  }
}

/** The entry's uuid for logs: its own `uuid`, else `settings.uuid`, else empty. */
function uuidOf(entry: unknown): string {
  if (!isJsonObject(entry)) return ''
  if (typeof entry.uuid === 'string') return entry.uuid
  const settings = entry.settings
  return isJsonObject(settings) && typeof settings.uuid === 'string' ? settings.uuid : ''
}

/**
 * Laravel's pagination numbers: unsigned integers. A numeric string is accepted too, because a
 * Panel once sent `per_page` as a string and crashed the reference (§3: "be tolerant").
 */
function readPageNumber(value: unknown, field: string): number {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0) {
    fail(field, 'an unsigned integer', value)
  }
  return number
}
