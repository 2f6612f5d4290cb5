import { describe, expect, it } from 'vitest'

import { paginate } from './pagination.js'

const labels = (page: number, pages: number) =>
  paginate(
    Array.from({ length: pages }, (_, i) => i),
    page,
    1,
    '/p',
  ).meta.links.map((l) => l.label)

describe('paginate', () => {
  it('lists every page while there are fewer than 14', () => {
    expect(labels(1, 13)).toEqual([
      '&laquo; Previous',
      ...Array.from({ length: 13 }, (_, i) => String(i + 1)),
      'Next &raquo;',
    ])
  })

  it('slides a window with gaps as Laravel’s UrlWindow does', () => {
    expect(labels(1, 20).slice(1, -1)).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
      '10',
      '...',
      '19',
      '20',
    ])
    expect(labels(10, 20).slice(1, -1)).toEqual([
      '1',
      '2',
      '...',
      '7',
      '8',
      '9',
      '10',
      '11',
      '12',
      '13',
      '...',
      '19',
      '20',
    ])
    expect(labels(18, 20).slice(1, -1)).toEqual([
      '1',
      '2',
      '...',
      '11',
      '12',
      '13',
      '14',
      '15',
      '16',
      '17',
      '18',
      '19',
      '20',
    ])
  })

  it('reports one page and null bounds for an empty list', () => {
    expect(paginate([], 1, 50, '/p').meta).toMatchObject({
      last_page: 1,
      from: null,
      to: null,
      total: 0,
    })
  })
})
