import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'

import { Parser, type ReadEntry } from 'tar'

import type { ArchiveExtractor } from '@node/backup'

/**
 * A plain .tar.gz extractor through the jail, standing in for the jail's own stream extraction
 * in these tests: files (mode, mtime) and directories, links and anything else skipped.
 */
export const extractTarGz: ArchiveExtractor = async (jail, archive, { signal, onEntry }) => {
  let chain = Promise.resolve()
  const handle = async (entry: ReadEntry): Promise<void> => {
    const path = entry.path.replace(/\/+$/, '')
    if (entry.type === 'Directory') {
      onEntry(path)
      await jail.mkdirp(path)
      entry.resume()
      return
    }
    if (entry.type !== 'File') {
      entry.resume()
      return
    }
    onEntry(path)
    await jail.writeFile(path, entry, {
      mode: (entry.mode ?? 0o644) & 0o777,
      ...(entry.mtime ? { mtime: entry.mtime } : {}),
      size: entry.size,
      signal,
    })
  }
  const parser = new Parser({
    strict: true,
    noResume: true,
    onReadEntry: (entry) => {
      chain = chain.then(() => handle(entry))
      chain.catch((error: unknown) => {
        entry.resume()
        parser.abort(error as Error)
      })
    },
  })
  await pipeline(archive, createGunzip(), parser, { signal })
  await chain
}
