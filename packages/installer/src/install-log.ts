import { open } from 'node:fs/promises'

import type { EnvironmentVariable, ExitState } from '@node/server-state'

/** The last lines of the header: what follows them is the script's own output. */
const SCRIPT_OUTPUT_HEADER = '| Script Output\n| ------------------------------\n'

export interface InstallLogHeader {
  readonly uuid: string
  readonly image: string
  readonly entrypoint: string
  readonly variables: readonly EnvironmentVariable[]
}

/**
 * The header of `<log_directory>/install/<uuid>.log` (behaviour §5), followed by the raw script
 * output. Values are HTML-escaped as the reference's template engine does.
 */
export function installLogHeader(header: InstallLogHeader): string {
  const variables = header.variables.map((v) => `  ${escapeHtml(`${v.name}=${v.value}`)}\n`)
  return [
    'Pterodactyl Server Installation Log\n',
    '\n',
    '|\n',
    '| Details\n',
    '| ------------------------------\n',
    `  Server UUID:          ${escapeHtml(header.uuid)}\n`,
    `  Container Image:      ${escapeHtml(header.image)}\n`,
    `  Container Entrypoint: ${escapeHtml(header.entrypoint)}\n`,
    '\n',
    '|\n',
    '| Environment Variables\n',
    '| ------------------------------\n',
    ...variables,
    '\n',
    '|\n',
    SCRIPT_OUTPUT_HEADER,
  ].join('')
}

/**
 * Ours, after the script output: how the script ended. The reference never reads the exit code;
 * a non-zero one now fails the install, and the log says why.
 */
export function installLogTrailer(exit: ExitState): string {
  const oom = exit.oomKilled ? ' (killed: out of memory)' : ''
  return `\n|\n| Script Exit Code\n| ------------------------------\n  ${exit.exitCode}${oom}\n`
}

/**
 * The install log's script output (`GET /api/servers/:server/install-logs` [pelican]): what
 * follows the Script Output header, our exit-code trailer included; the whole file when the
 * header is missing. A log over `maxBytes` gives its last whole lines within `maxBytes` (the
 * header is then cut off too). Undefined when the file does not exist.
 */
export async function readInstallLogOutput(
  file: string,
  maxBytes: number,
): Promise<string | undefined> {
  let handle
  try {
    handle = await open(file, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  try {
    const { size } = await handle.stat()
    const length = Math.min(size, maxBytes)
    const buffer = Buffer.alloc(length)
    const { bytesRead } = await handle.read(buffer, 0, length, size - length)
    let text = buffer.subarray(0, bytesRead).toString('utf8')
    if (size > maxBytes) {
      // Started mid-file: the first line (maybe mid-character) is not whole.
      const newline = text.indexOf('\n')
      text = newline < 0 ? '' : text.slice(newline + 1)
    }
    const at = text.indexOf(SCRIPT_OUTPUT_HEADER)
    return at < 0 ? text : text.slice(at + SCRIPT_OUTPUT_HEADER.length)
  } finally {
    await handle.close()
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&#34;',
  "'": '&#39;',
  '+': '&#43;',
  '\0': '\uFFFD',
}

/** Go's html/template escaping of text, which the reference applies to the header's values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'+\0]/g, (c) => ESCAPES[c] ?? c)
}
