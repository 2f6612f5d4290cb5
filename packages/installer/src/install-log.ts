import type { EnvironmentVariable, ExitState } from '@node/server-state'

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
    '| Script Output\n',
    '| ------------------------------\n',
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
