import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

/** A fresh directory removed on `await using` disposal. */
export interface TempDir extends AsyncDisposable {
  readonly path: string
}

export async function createTempDir(prefix = 'node-daemon-'): Promise<TempDir> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix))
  return {
    path: dir,
    [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }),
  }
}
