import { Router } from 'express'

import { isPowerAction, type PowerAction } from '@node/power'
import { BadRequestError, ConflictError, InvalidError, NotRunningError } from '@node/shared-kernel'

import { sendJson } from '../go-json.js'
import { serverExists, serverOf } from '../middleware/server-exists.js'
import { asObject, optionalInteger, optionalString, optionalStringArray } from '../parse/fields.js'
import { readJsonBody } from '../parse/json-body.js'

export const POWER_ROUTE_ERRORS = {
  invalidAction:
    'The power action provided was not valid, should be one of "stop", "start", "restart", "kill"',
  suspended: 'Cannot start or restart a server that is suspended.',
  stopped: 'Cannot send commands to a stopped server instance.',
  reinstallBusy: 'Cannot execute server reinstall event while another power action is running.',
  noInstallLog: 'failed to read the log for the installation process.',
} as const

/** What the power routes need: the ServerPower and InstallServer use cases of @node/servers. */
export interface PowerRoutesOptions<S> {
  readonly servers: { get(uuid: string): S | undefined }
  readonly isSuspended: (server: S) => boolean
  readonly power: {
    /** Runs the action in the background (its failures are logged and reach the websocket). */
    start(server: S, action: PowerAction, waitMs: number): void
    isRunning(server: S): Promise<boolean>
    /** Whether a power action holds the lock (a reinstall is refused then). */
    isBusy(server: S): boolean
    sendCommands(server: S, commands: readonly string[]): Promise<void>
    readLog(server: S, lines: number): Promise<readonly string[]>
  }
  readonly install: {
    /** Sync then install, in the background. */
    install(server: S): void
    /** Stop, sync, then install with `reinstall: true`, in the background. */
    reinstall(server: S): void
    /** The script output of the last install; undefined when there is no install log. */
    log(server: S): Promise<string | undefined>
  }
}

/** http-api §6.3-§6.7: logs, power, commands, install, reinstall; [pelican] install-logs. */
export function powerRoutes<S>(options: PowerRoutesOptions<S>): Router {
  const { power, install } = options
  const router = Router()
  const server = Router({ mergeParams: true })
  router.use(
    '/api/servers/:server',
    serverExists((uuid) => options.servers.get(uuid)),
    server,
  )

  server.get('/logs', async (req, res) => {
    const lines = await power.readLog(serverOf<S>(res), logSize(req.query['size']))
    sendJson(res, 200, { data: lines.length === 0 ? null : lines })
  })

  server.get('/install-logs', async (_req, res) => {
    const output = await install.log(serverOf<S>(res))
    // The reference's answer when the log cannot be read, a missing one included.
    if (output === undefined) sendJson(res, 500, { error: POWER_ROUTE_ERRORS.noInstallLog })
    else sendJson(res, 200, { data: output })
  })

  server.post('/power', async (req, res) => {
    const body = asObject(await readJsonBody(req))
    const action = optionalString(body, 'action')
    const waitSeconds = optionalInteger(body, 'wait_seconds') ?? 0
    if (!isPowerAction(action)) throw new InvalidError(POWER_ROUTE_ERRORS.invalidAction)
    const target = serverOf<S>(res)
    if ((action === 'start' || action === 'restart') && options.isSuspended(target)) {
      throw new BadRequestError(POWER_ROUTE_ERRORS.suspended)
    }
    power.start(target, action, powerLockWaitMs(waitSeconds))
    res.status(202).end()
  })

  server.post('/commands', async (req, res) => {
    const target = serverOf<S>(res)
    // The reference checks the process before it reads the body.
    if (!(await power.isRunning(target))) throw new NotRunningError(POWER_ROUTE_ERRORS.stopped)
    const body = asObject(await readJsonBody(req))
    await power.sendCommands(target, optionalStringArray(body, 'commands') ?? [])
    res.status(204).end()
  })

  server.post('/install', (_req, res) => {
    install.install(serverOf<S>(res))
    res.status(202).end()
  })

  server.post('/reinstall', (_req, res) => {
    const target = serverOf<S>(res)
    if (power.isBusy(target)) throw new ConflictError(POWER_ROUTE_ERRORS.reinstallBusy)
    install.reinstall(target)
    res.status(202).end()
  })

  return router
}

/** `size` of GET logs: 1-100, anything else 100 (http-api §6.3). */
export function logSize(value: unknown): number {
  const size = typeof value === 'string' && /^[+-]?\d+$/.test(value) ? Number(value) : 0
  return size <= 0 || size > 100 ? 100 : size
}

/** `wait_seconds`: 0 fails at once when locked; outside 0-300 means 30 s (http-api §6.4). */
export function powerLockWaitMs(waitSeconds: number): number {
  const seconds = waitSeconds < 0 || waitSeconds > 300 ? 30 : waitSeconds
  return seconds * 1000
}
