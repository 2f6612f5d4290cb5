/** A text file as lines, with what is needed to write it back the way it was. */
export interface TextLines {
  readonly lines: string[]
  /** The file's line ending: CRLF when its first line ends so, else LF. */
  readonly eol: '\n' | '\r\n'
  /** Whether the last line ended with a line break. */
  readonly finalNewline: boolean
  /** Whether the file started with a UTF-8 byte order mark (kept out of `lines`). */
  readonly bom: boolean
}

export function splitLines(text: string): TextLines {
  const bom = text.startsWith('\uFEFF')
  const body = bom ? text.slice(1) : text
  const firstBreak = body.indexOf('\n')
  const eol = firstBreak > 0 && body[firstBreak - 1] === '\r' ? '\r\n' : '\n'
  const finalNewline = body.endsWith('\n')
  const lines = body === '' ? [] : body.split('\n')
  if (finalNewline) lines.pop()
  return { lines: lines.map((line) => line.replace(/\r$/, '')), eol, finalNewline, bom }
}

/** Joins lines back; a file that gained lines always ends with a line break. */
export function joinLines(file: TextLines, lines: readonly string[]): string {
  if (lines.length === 0) return file.bom ? '\uFEFF' : ''
  const finalNewline = file.finalNewline || lines.length > file.lines.length
  return (file.bom ? '\uFEFF' : '') + lines.join(file.eol) + (finalNewline ? file.eol : '')
}
