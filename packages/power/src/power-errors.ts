/** The reference daemon's error texts for refused power actions (behaviour §3, http-api §3.2). */
export const POWER_ERRORS = {
  installing: 'server is currently installing',
  transferring: 'server is currently being transferred',
  restoring: 'server is currently being restored',
  running: 'server is running',
  suspended: 'server is currently in a suspended state',
} as const

export type PowerAction = 'start' | 'stop' | 'restart' | 'kill'

export const POWER_ACTIONS: readonly PowerAction[] = ['start', 'stop', 'restart', 'kill']

export function isPowerAction(value: unknown): value is PowerAction {
  return typeof value === 'string' && (POWER_ACTIONS as readonly string[]).includes(value)
}
