import { MAX_CONSOLE_LINE_LENGTH } from '@node/server-state'

/** A TTY log as lines: split on `\n`, a trailing `\r` removed, long lines cut. */
export function splitLog(text: string): string[] {
  if (text === '') return []
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  return lines.map((line) => {
    const bare = line.endsWith('\r') ? line.slice(0, -1) : line
    return bare.length > MAX_CONSOLE_LINE_LENGTH ? bare.slice(0, MAX_CONSOLE_LINE_LENGTH) : bare
  })
}
