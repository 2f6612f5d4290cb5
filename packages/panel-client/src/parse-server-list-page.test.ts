import { describe, expect, it } from 'vitest'

import { paperServer, withPath } from '../test/fixtures/paper-server.js'
import { InvalidPanelDataError } from './invalid-panel-data-error.js'
import { parseServerListPage } from './parse-server-list-page.js'

function entry(uuid: string): Record<string, unknown> {
  return { uuid, ...withPath(paperServer(), 'settings.uuid', uuid) }
}

function page(data: unknown, meta: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    data,
    links: { first: 'https://panel.example.com/api/remote/servers?page=1', prev: null, next: null },
    meta: { current_page: 1, from: 1, last_page: 1, per_page: 50, to: 2, total: 2, ...meta },
  }
}

describe('parseServerListPage', () => {
  it('parses every entry and the page numbers', () => {
    const raw = page([entry('aaaaaaaa-0000'), entry('bbbbbbbb-0000')], { last_page: 3 })

    const result = parseServerListPage(raw)

    expect(result.currentPage).toBe(1)
    expect(result.lastPage).toBe(3)
    expect(result.entries.map((e) => [e.uuid, 'configuration' in e])).toEqual([
      ['aaaaaaaa-0000', true],
      ['bbbbbbbb-0000', true],
    ])
  })

  it('turns a malformed entry into its uuid and error, and keeps the others', () => {
    const broken = withPath(entry('bbbbbbbb-0000'), 'settings.build.memory_limit', 'lots')
    const raw = page([entry('aaaaaaaa-0000'), broken, entry('cccccccc-0000')])

    const { entries } = parseServerListPage(raw)

    expect(entries.map((e) => e.uuid)).toEqual(['aaaaaaaa-0000', 'bbbbbbbb-0000', 'cccccccc-0000'])
    const failed = entries[1]
    expect(failed && 'error' in failed && failed.error).toBeInstanceOf(InvalidPanelDataError)
    expect(failed && 'error' in failed && (failed.error as InvalidPanelDataError).field).toBe(
      'data[1].settings.build.memory_limit',
    )
  })

  it('names a broken entry by settings.uuid when it has no uuid of its own, else by nothing', () => {
    const noOwnUuid = withPath(paperServer(), 'process_configuration', null)
    const raw = page([noOwnUuid, 'garbage'])

    const { entries } = parseServerListPage(raw)

    expect(entries.map((e) => [e.uuid, 'error' in e])).toEqual([
      ['d3aac109-e5e0-4331-b03e-3454f7e136dc', true],
      ['', true],
    ])
  })

  it('accepts page numbers sent as numeric strings', () => {
    const raw = page([], { current_page: '2', last_page: '5', per_page: '50' })

    expect(parseServerListPage(raw)).toEqual({ entries: [], currentPage: 2, lastPage: 5 })
  })

  it('reads a null data list as an empty page', () => {
    expect(parseServerListPage(page(null)).entries).toEqual([])
  })

  it.each([
    ['the server list', 'not json object'],
    ['meta', { data: [] }],
    ['data', page({ uuid: 'a' })],
    ['meta.last_page', page([], { last_page: -1 })],
    ['meta.last_page', page([], { last_page: 1.5 })],
    ['meta.current_page', page([], { current_page: 'one' })],
    ['meta.current_page', page([], { current_page: null })],
  ])('rejects a malformed envelope at %s', (field, raw) => {
    let failure: unknown
    try {
      parseServerListPage(raw)
    } catch (err) {
      failure = err
    }

    expect(failure).toBeInstanceOf(InvalidPanelDataError)
    expect((failure as InvalidPanelDataError).field).toBe(field)
  })
})
