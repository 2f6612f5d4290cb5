import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { lstat, readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'

export const run = promisify(execFile)

/** Every regular file under `root`: its mode, whole-second mtime and content hash. */
export async function describeTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const full = path.join(dir, name)
      const stats = await lstat(full)
      const rel = path.relative(root, full)
      if (stats.isDirectory()) await walk(full)
      else if (stats.isFile()) {
        const hash = createHash('sha1')
          .update(await readFile(full))
          .digest('hex')
        out[rel] = `${(stats.mode & 0o777).toString(8)} ${Math.floor(stats.mtimeMs / 1000)} ${hash}`
      }
    }
  }
  await walk(root)
  return out
}
