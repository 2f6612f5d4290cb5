/** Laravel's LengthAwarePaginator rendered by a resource collection (panel-contract.md C.2). */
export interface PageEnvelope<T> {
  readonly data: T[]
  readonly links: {
    readonly first: string
    readonly last: string
    readonly prev: string | null
    readonly next: string | null
  }
  readonly meta: {
    readonly current_page: number
    readonly from: number | null
    readonly last_page: number
    readonly links: readonly { url: string | null; label: string; active: boolean }[]
    readonly path: string
    readonly per_page: number
    readonly to: number | null
    readonly total: number
  }
}

const ON_EACH_SIDE = 3

/**
 * Slices `items` into page `page` of `perPage` and wraps it as Laravel does: links carry only
 * `?page=N` (the paginator does not keep other query parameters), `meta.links` is the numbered
 * window with `...` gaps.
 */
export function paginate<T>(
  items: readonly T[],
  page: number,
  perPage: number,
  path: string,
): PageEnvelope<T> {
  const total = items.length
  const lastPage = Math.max(Math.ceil(total / perPage), 1)
  const data = items.slice((page - 1) * perPage, page * perPage)
  const url = (n: number) => `${path}?page=${n}`
  const from = data.length > 0 ? (page - 1) * perPage + 1 : null
  const prev = page > 1 ? url(page - 1) : null
  const next = page < lastPage ? url(page + 1) : null

  const numbered: { url: string | null; label: string; active: boolean }[] = []
  for (const element of windowElements(page, lastPage)) {
    if (element === '...') numbered.push({ url: null, label: '...', active: false })
    else
      for (const n of element) numbered.push({ url: url(n), label: String(n), active: n === page })
  }
  return {
    data,
    links: { first: url(1), last: url(lastPage), prev, next },
    meta: {
      current_page: page,
      from,
      last_page: lastPage,
      links: [
        { url: prev, label: '&laquo; Previous', active: false },
        ...numbered,
        { url: next, label: 'Next &raquo;', active: false },
      ],
      path,
      per_page: perPage,
      to: from === null ? null : from + data.length - 1,
      total,
    },
  }
}

/** Laravel's UrlWindow: every page when there are few, otherwise a slider with gaps. */
function windowElements(page: number, lastPage: number): (number[] | '...')[] {
  const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i)
  if (lastPage < ON_EACH_SIDE * 2 + 8) return [range(1, lastPage)]
  const window = ON_EACH_SIDE + 4
  const start = range(1, 2)
  const finish = range(lastPage - 1, lastPage)
  if (page <= window) return [range(1, window + ON_EACH_SIDE), '...', finish]
  if (page > lastPage - window)
    return [start, '...', range(lastPage - (window + (ON_EACH_SIDE - 1)), lastPage)]
  return [start, '...', range(page - ON_EACH_SIDE, page + ON_EACH_SIDE), '...', finish]
}
