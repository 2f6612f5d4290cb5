import { Denylist, jailFaultOf, type Jail } from '@node/filesystem-jail'

/** Largest `.pteroignore` read (behaviour §9.1); a bigger one is not used at all. */
export const MAX_PTEROIGNORE_BYTES = 32 * 1024

const PTEROIGNORE = '.pteroignore'

/**
 * The patterns of a backup's ignore list: one gitignore pattern per line. The Panel joins the
 * user's lines with `\n`, so a line typed with `\r\n` keeps a stray `\r`: it is stripped, as are
 * empty lines.
 */
export function ignorePatterns(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/\r+$/, ''))
    .filter((line) => line.trim() !== '')
}

/**
 * Which paths a backup leaves out (behaviour §9.1): the request's `ignore` when it has any
 * pattern, else the root's `.pteroignore` when it is a regular file (never a symlink, read
 * through the jail) of at most 32 KiB, else nothing. Matched with gitignore semantics against
 * each path relative to the server root; everything beneath an ignored directory is ignored.
 */
export async function loadIgnoreRules(
  jail: Jail,
  requestIgnore: string,
): Promise<(relPath: string, isDirectory: boolean) => boolean> {
  let patterns = ignorePatterns(requestIgnore)
  if (patterns.length === 0) patterns = ignorePatterns(await readPteroignore(jail))
  if (patterns.length === 0) return () => false
  // The deny list's matcher is gitignore's; the same engine serves the ignore list.
  const matcher = new Denylist(patterns)
  // `isDirectory` lets a `logs/` pattern match the directory itself, which is then not walked.
  return (relPath, isDirectory) => matcher.isDenied(relPath, isDirectory)
}

async function readPteroignore(jail: Jail): Promise<string> {
  let file
  try {
    file = await jail.openRead(PTEROIGNORE)
  } catch (error) {
    // Missing, a symlink, a FIFO or anything but a lone regular file: no server-wide list.
    if (jailFaultOf(error) !== undefined) return ''
    throw error
  }
  if (file.size > MAX_PTEROIGNORE_BYTES) {
    file.stream.destroy()
    return ''
  }
  const chunks: Buffer[] = []
  for await (const chunk of file.stream as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}
