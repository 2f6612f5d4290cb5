import { randomUUID } from 'node:crypto'
import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'

import type { ScopeMemory } from '@node/jwt'
import type { Logger } from '@node/shared-kernel'

/** The file's content once a scoped token was seen; anything else reads as "not seen". */
interface TokenScopeFile {
  readonly panel_signs_scope: true
  readonly since: string
}

/**
 * What `api.accept_tokens_without_scope: learn` learned, in `<root_directory>/token-scope.json`,
 * so that a restart does not open the door to scope-less tokens again. `remember` answers at
 * once; the file is written in the background (atomically, a failure is logged).
 */
export async function loadTokenScopeMemory(file: string, logger: Logger): Promise<ScopeMemory> {
  const memory = {
    seen: await readSeen(file, logger),
    remember: () => {
      if (memory.seen) return
      memory.seen = true
      const content: TokenScopeFile = { panel_signs_scope: true, since: new Date().toISOString() }
      writeAtomically(file, `${JSON.stringify(content)}\n`).catch((err: unknown) => {
        logger.error('failed to remember that the Panel signs scoped tokens', { file, err })
      })
    },
  }
  return memory
}

async function readSeen(file: string, logger: Logger): Promise<boolean> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
  try {
    const parsed = JSON.parse(text) as Partial<TokenScopeFile> | null
    if (parsed?.panel_signs_scope === true) return true
  } catch {
    // Reported below.
  }
  // Fails open to learning again, never to accepting for good: the next scoped token rewrites it.
  logger.warn('token scope file is not what this daemon writes; learning again', { file })
  return false
}

async function writeAtomically(file: string, content: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${randomUUID()}.tmp`)
  try {
    await writeFile(temp, content, { mode: 0o600 })
    await rename(temp, file)
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
}
