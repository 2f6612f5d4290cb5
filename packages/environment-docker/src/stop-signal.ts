import type { EnvironmentSettings } from '@node/server-state'

/** How a graceful stop reaches the process, from the egg's stop configuration (behaviour §3.4). */
export type StopAction =
  | { readonly kind: 'command'; readonly command: string }
  | { readonly kind: 'signal'; readonly signal: 'SIGABRT' | 'SIGINT' | 'SIGTERM' | 'SIGKILL' }
  | { readonly kind: 'native' }

/**
 * `command` writes the stop command; `signal` sends SIGABRT, SIGINT or SIGTERM by name (any case,
 * with or without `SIG`; Pelican's `C`/`^C` mean SIGINT) and SIGKILL for anything else; `stop` is
 * the runtime's own stop; an empty type kills.
 */
export function stopActionOf(stop: EnvironmentSettings['stop']): StopAction {
  switch (stop.type) {
    case 'command':
      return { kind: 'command', command: stop.value }
    case 'stop':
      return { kind: 'native' }
    case 'signal':
      return { kind: 'signal', signal: signalByName(stop.value) }
    default:
      return { kind: 'signal', signal: 'SIGKILL' }
  }
}

function signalByName(value: string): 'SIGABRT' | 'SIGINT' | 'SIGTERM' | 'SIGKILL' {
  const name = value.trim().toUpperCase()
  if (name === 'C' || name === '^C') return 'SIGINT'
  const bare = name.startsWith('SIG') ? name.slice(3) : name
  if (bare === 'ABRT' || bare === 'INT' || bare === 'TERM') return `SIG${bare}`
  return 'SIGKILL'
}
