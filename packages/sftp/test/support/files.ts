import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'

export const MiB = 1024 * 1024

/** A file of `size` random bytes; resolves with its sha256. */
export async function randomFile(file: string, size: number): Promise<string> {
  const hash = createHash('sha256')
  const handle = await open(file, 'w')
  try {
    for (let written = 0; written < size;) {
      const chunk = randomBytes(Math.min(4 * MiB, size - written))
      hash.update(chunk)
      await handle.write(chunk)
      written += chunk.length
    }
  } finally {
    await handle.close()
  }
  return hash.digest('hex')
}

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
