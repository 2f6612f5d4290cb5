// Words that make a command compound (or special) when they come first.
const SHELL_KEYWORDS = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'case',
  'esac',
  'for',
  'while',
  'until',
  'do',
  'done',
  '{',
  '}',
  '!',
  'exec',
  'function',
  'select',
])

/**
 * The `sh -c` script for a startup command: each `{{VAR}}` becomes `${VAR}`, so the shell expands
 * the variable from the environment without re-parsing its value as shell syntax (as the
 * Pterodactyl images do). A simple command is prefixed with `exec`, so the game itself is the
 * process that stop signals reach and whose exit code counts, not a shell around it.
 */
export function startupScript(invocation: string): string {
  const script = invocation.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, '${$1}')
  return isSimpleCommand(script) ? `exec ${script.trimStart()}` : script
}

/** True for one command without control operators, redirections, subshells or leading assignments. */
export function isSimpleCommand(script: string): boolean {
  if (script.trim() === '') return false
  if (/[;&|\n\r`()<>]/.test(script)) return false
  const first = /^\s*(\S+)/.exec(script)?.[1] ?? ''
  if (SHELL_KEYWORDS.has(first)) return false
  // `NAME=value cmd` sets a variable for cmd; `exec NAME=value` would try to run it.
  if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(first)) return false
  return true
}
