/** The daemon's console notices (websocket.md §6.3), word for word. */
export const NOTICES = {
  pullStarted: 'Pulling Docker container image, this could take a few minutes...',
  pullFinished: 'Finished pulling Docker container image',
  diskCheck: 'Checking server disk space usage, this could take a few seconds...',
  configFiles: 'Updating process configuration files...',
  permissions: 'Ensuring file permissions are set correctly, this could take a few seconds...',
  throttled: 'Server is outputting console data too quickly -- throttling...',
  diskExceeded: 'Server is exceeding the assigned disk space limit, stopping process now.',
  crashed: '---------- Detected server process in a crashed state! ----------',
  crashDisabled: 'Aborting automatic restart, crash detection is disabled for this instance.',
  crashFailed: 'Server crash was detected but an error occurred while handling it.',
  exitCode: (code: number) => `Exit code: ${code}`,
  outOfMemory: (oom: boolean) => `Out of memory: ${oom}`,
  crashTooSoon: (timeoutSeconds: number) =>
    `Aborting automatic restart, last crash occurred less than ${timeoutSeconds} seconds ago.`,
} as const

/**
 * A notice as the console shows it: `ESC[33mESC[1m[<app> Daemon]:ESC[39m <text>ESC[0m`, with
 * `app_name` as `app`.
 */
export function formatNotice(appName: string, text: string): string {
  return `\u001b[33m\u001b[1m[${appName} Daemon]:\u001b[39m ${text}\u001b[0m`
}
