import type { JailEntry } from '@node/filesystem-jail'

/**
 * A directory being listed. Entries come from the jail's batched listing and are handed out a
 * page per READDIR, so a directory of any size costs one page of work per request.
 */
export class DirectoryHandle {
  readonly kind = 'directory'
  readonly path: string
  readonly #entries: AsyncGenerator<JailEntry>
  #done = false

  constructor(path: string, entries: AsyncGenerator<JailEntry>) {
    this.path = path
    this.#entries = entries
  }

  /** Up to `max` entries; an empty page once the listing is exhausted. */
  async nextPage(max: number): Promise<JailEntry[]> {
    const page: JailEntry[] = []
    while (!this.#done && page.length < max) {
      const next = await this.#entries.next()
      if (next.done) this.#done = true
      else page.push(next.value)
    }
    return page
  }

  async close(): Promise<void> {
    this.#done = true
    await this.#entries.return(undefined)
  }

  abort(): Promise<void> {
    return this.close().catch(() => undefined)
  }
}
