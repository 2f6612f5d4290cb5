import { FieldReader, FixtureError, isObject } from './field-reader.js'
import type { FailureSpec } from './failure-injector.js'
import type { ServerFixture } from './fixture.js'
import type { IssueOptions } from './jwt-issuer.js'
import { makeServers } from './make-servers.js'
import type { PanelSim } from './panel-sim.js'
import type { PanelState } from './panel-state.js'
import { NO_CONTENT, type Route, type SimRequest, type SimResponse } from './route.js'

/** The simulator as the admin API drives it. */
export interface AdminTarget extends PanelSim {
  readonly state: PanelState
}

/**
 * Test-control routes under `/__sim` (README, "Admin API"). Not part of the Panel: never recorded,
 * never failed by `failNext`, no authentication (the simulator listens on loopback).
 */
export function adminRoutes(sim: AdminTarget): Route[] {
  const route = (
    methods: string[],
    path: string,
    handle: (r: SimRequest, body: unknown) => SimResponse,
  ): Route => ({
    methods,
    pattern: new RegExp(`^/__sim${path.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}$`),
    auth: 'none',
    recorded: false,
    handle: (r) => {
      try {
        return handle(r, parseBody(r.rawBody))
      } catch (err) {
        if (err instanceof FixtureError || err instanceof RangeError)
          return { status: 422, json: { error: err.message } }
        throw err
      }
    },
  })
  const ok = (json: unknown, status = 200): SimResponse => ({ status, json })
  return [
    route(['GET'], '/calls', (r) =>
      ok({ data: r.query['path'] ? sim.callsTo(r.query['path'], r.query['method']) : sim.calls }),
    ),
    route(['DELETE'], '/calls', () => {
      sim.clearCalls()
      return NO_CONTENT
    }),
    route(['GET'], '/state', () =>
      ok({
        app_url: sim.appUrl,
        backup_driver: sim.state.backupDriver,
        nodes: sim.nodes(),
        users: sim.users(),
        eggs: sim.eggs(),
        servers: sim.servers(),
        allocations: sim.allocations(),
        backups: sim.backups(),
        transfers: sim.transfers(),
        activity: sim.activity(),
      }),
    ),
    route(['POST'], '/nodes', (_, body) => ok(sim.addNode(objectBody(body)), 201)),
    route(['POST'], '/users', (_, body) => ok(sim.addUser(objectBody(body)), 201)),
    route(['POST'], '/eggs', (_, body) => ok(sim.addEgg(objectBody(body)), 201)),
    route(['GET'], '/servers', () => ok({ data: sim.servers() })),
    route(['POST'], '/servers', (_, body) => ok(sim.addServer(objectBody(body)), 201)),
    route(['POST'], '/make-servers', (_, body) => {
      const r = new FieldReader(objectBody(body), 'body')
      r.only(['count', 'template'])
      const template = r.has('template') ? (objectBody(r.raw('template')) as ServerFixture) : {}
      return ok(
        { data: makeServers(r.int('count', 0, 0, 10_000), template).map((s) => sim.addServer(s)) },
        201,
      )
    }),
    route(['GET'], '/servers/{uuid}', (r) => ok({ server: sim.server(param(r, 'uuid')) })),
    route(['PATCH'], '/servers/{uuid}', (r, body) =>
      ok(sim.updateServer(param(r, 'uuid'), objectBody(body))),
    ),
    route(['DELETE'], '/servers/{uuid}', (r) => {
      sim.removeServer(param(r, 'uuid'))
      return NO_CONTENT
    }),
    // What the browser does when a user clicks Download: the Panel signs a one-time link to the
    // daemon and the browser follows it (here as a redirect, for `curl -L`).
    route(['GET'], '/servers/{uuid}/download', (r) => {
      const file = r.query['file'] ?? ''
      if (file === '') throw new FixtureError('query file is required')
      const user = r.query['user']
      const issued = sim.tokens.fileDownload({
        server: param(r, 'uuid'),
        file,
        ...(user === undefined ? {} : { user: /^\d+$/.test(user) ? Number(user) : user }),
      })
      return { status: 302, headers: { Location: issued.url }, text: '' }
    }),
    route(['POST'], '/servers/{uuid}/backups', (r, body) =>
      ok(sim.addBackup(param(r, 'uuid'), objectBody(body)), 201),
    ),
    route(['POST'], '/failures', (_, body) => {
      sim.failNext(failureSpec(body))
      return NO_CONTENT
    }),
    route(['DELETE'], '/failures', () => {
      sim.clearFailures()
      return NO_CONTENT
    }),
    route(['POST'], '/tokens/{kind}', (r, body) => ok(issueToken(sim, param(r, 'kind'), body))),
    route(['GET'], '/node-configuration', (r) => {
      const node = r.query['node'] === undefined ? undefined : Number(r.query['node'])
      if (node !== undefined && !Number.isInteger(node))
        throw new FixtureError('node must be a node id')
      if (r.query['format'] === 'yaml') {
        return {
          status: 200,
          text: sim.nodeConfigurationYaml(node),
          headers: { 'Content-Type': 'text/yaml; charset=utf-8' },
        }
      }
      return ok(sim.nodeConfiguration(node))
    }),
  ]
}

function param(r: SimRequest, name: string): string {
  return r.params[name] ?? ''
}

function parseBody(raw: Buffer): unknown {
  if (raw.length === 0) return {}
  try {
    return JSON.parse(raw.toString('utf8')) as unknown
  } catch {
    throw new FixtureError('the request body must be JSON')
  }
}

function objectBody(body: unknown): Record<string, unknown> {
  if (!isObject(body)) throw new FixtureError('the request body must be a JSON object')
  return body
}

function failureSpec(body: unknown): FailureSpec {
  const r = new FieldReader(body, 'body')
  r.only(['path', 'pattern', 'method', 'status', 'times', 'body', 'drop', 'delayMs', 'thenAnswer'])
  const path = r.string('path', '')
  const pattern = r.string('pattern', '')
  if ((path === '') === (pattern === ''))
    throw new FixtureError(
      'give exactly one of body.path (with * wildcards) or body.pattern (a regular expression)',
    )
  let matcher: string | RegExp = path
  if (pattern !== '') {
    try {
      matcher = new RegExp(pattern)
    } catch {
      throw new FixtureError('body.pattern is not a valid regular expression')
    }
  }
  return {
    path: matcher,
    method: r.has('method') ? r.string('method', '') : undefined,
    status: r.int('status', 500, 100, 599),
    times: r.int('times', 1, 1, 1_000_000),
    body: r.raw('body'),
    drop: r.bool('drop', false),
    delayMs: r.int('delayMs', 0, 0, 600_000),
    thenAnswer: r.bool('thenAnswer', false),
  }
}

function issueToken(sim: PanelSim, kind: string, body: unknown): unknown {
  const r = new FieldReader(body, 'body')
  r.only([
    'server',
    'user',
    'permissions',
    'file',
    'backup',
    'targetNode',
    'now',
    'uniqueId',
    'tamper',
    'panelVersion',
  ])
  const server = r.string('server', '')
  if (server === '') throw new FixtureError('body.server is required')
  const rawUser = r.raw('user')
  if (rawUser !== undefined && typeof rawUser !== 'number' && typeof rawUser !== 'string') {
    throw new FixtureError('body.user must be a user id, uuid or username')
  }
  const user = rawUser
  const version = r.has('panelVersion') ? r.string('panelVersion', '') : undefined
  if (version !== undefined && version !== '1.11' && version !== '1.12') {
    throw new FixtureError('body.panelVersion must be 1.11 or 1.12')
  }
  const options: IssueOptions = {
    panelVersion: version,
    now: r.has('now') ? r.int('now', 0, 0) : undefined,
    uniqueId: r.has('uniqueId') ? r.string('uniqueId', '') : undefined,
    tamper: r.has('tamper') ? objectBody(r.raw('tamper')) : undefined,
  }
  const permissions = r.has('permissions') ? r.stringArray('permissions', []) : undefined
  switch (kind) {
    case 'websocket':
      return sim.tokens.websocket({ server, user, permissions }, options)
    case 'file-download':
      return sim.tokens.fileDownload({ server, user, file: r.string('file', '') }, options)
    case 'file-upload':
      return sim.tokens.fileUpload({ server, user }, options)
    case 'backup-download':
      return sim.tokens.backupDownload({ server, user, backup: r.string('backup', '') }, options)
    case 'transfer':
      return sim.tokens.transfer({ server, targetNode: r.int('targetNode', 0, 1) }, options)
    default:
      throw new FixtureError(
        'token kind must be websocket, file-download, file-upload, backup-download or transfer',
      )
  }
}
