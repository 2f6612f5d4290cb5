/** The only process states the daemon stores or sends, spelled as on the wire. */
export type ServerState = 'offline' | 'starting' | 'running' | 'stopping'

export const SERVER_STATES: readonly ServerState[] = ['offline', 'starting', 'running', 'stopping']

export function isServerState(value: unknown): value is ServerState {
  return typeof value === 'string' && (SERVER_STATES as readonly string[]).includes(value)
}
