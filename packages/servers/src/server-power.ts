import type { PowerAction } from '@node/power'

import type { HostedServer } from './hosted-server.js'

/**
 * Power actions, commands and the console log of a server (http-api §6.3-§6.5, websocket.md §5).
 * Actions run under the power lock (behaviour §3.1); their refusals reach the caller.
 */
export class ServerPower {
  /** `POST /power`: runs in the background; its failures are logged on the server. */
  start(hosted: HostedServer, action: PowerAction, waitMs: number): void {
    hosted.runInBackground(`${action} the server`, () => hosted.runtime.power(action, { waitMs }))
  }

  /** Runs the action to its end (the websocket, which never waits for the lock: `waitMs` 0). */
  run(hosted: HostedServer, action: PowerAction, waitMs: number): Promise<void> {
    return hosted.runtime.power(action, { waitMs })
  }

  isRunning(hosted: HostedServer): Promise<boolean> {
    return hosted.runtime.isRunning()
  }

  /** Whether a power action holds the lock right now (a reinstall is refused then). */
  isBusy(hosted: HostedServer): boolean {
    return hosted.runtime.isBusy
  }

  sendCommands(hosted: HostedServer, commands: readonly string[]): Promise<void> {
    return hosted.runtime.sendCommands(commands)
  }

  readLog(hosted: HostedServer, lines: number): Promise<readonly string[]> {
    return hosted.runtime.environment.readLog(lines)
  }
}
