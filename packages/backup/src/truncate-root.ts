import type { Jail } from '@node/filesystem-jail'

const REMOVE_CONCURRENCY = 8

/**
 * Deletes everything in the jail's root, the root itself staying (a restore's
 * `truncate_directory`). Entries are removed through the jail, several at once; the first
 * failure stops it and rejects.
 */
export async function truncateRoot(jail: Jail): Promise<void> {
  const names: string[] = []
  for await (const entry of jail.list('')) names.push(entry.name)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const name = names[next++] as string
      await jail.remove(name)
    }
  }
  await Promise.all(Array.from({ length: Math.min(REMOVE_CONCURRENCY, names.length) }, worker))
}
