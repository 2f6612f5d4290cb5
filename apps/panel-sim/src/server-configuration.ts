import { isObject } from './field-reader.js'
import { PanelError, PanelErrors } from './panel-error.js'
import type { PanelState } from './panel-state.js'
import type { EggRecord, ServerRecord } from './records.js'

/** The `settings` + `process_configuration` pair of R3 and of each R1 entry (panel-contract.md C.3). */
export interface ServerConfigurationWire {
  readonly settings: Record<string, unknown>
  readonly process_configuration: Record<string, unknown>
}

type EnvValue = string | number | null

/**
 * Builds a server's configuration the way the Panel does, including its failures: an egg whose
 * stop, startup or config-files value is null or of the wrong JSON type makes the Panel answer 500.
 */
export function serverConfiguration(
  state: PanelState,
  server: ServerRecord,
): ServerConfigurationWire {
  return {
    settings: settings(state, server),
    process_configuration: processConfiguration(state, server),
  }
}

/** The server's environment in the Panel's order: egg variables, then the Panel's own keys. */
function serverEnvironment(state: PanelState, server: ServerRecord): Record<string, EnvValue> {
  const egg = state.egg(server.eggId)
  const env: Record<string, EnvValue> = {}
  for (const variable of egg.variables) {
    env[variable.envVariable] = server.variables[variable.envVariable] ?? variable.defaultValue
  }
  env['STARTUP'] = server.startup
  env['P_SERVER_LOCATION'] = state.node(server.nodeId).location
  env['P_SERVER_UUID'] = server.uuid
  env['P_SERVER_ALLOCATION_LIMIT'] = server.allocationLimit
  return env
}

function settings(state: PanelState, server: ServerRecord): Record<string, unknown> {
  const egg = state.egg(server.eggId)
  const primary = state.allocation(server.allocationId)
  return {
    uuid: server.uuid,
    meta: { name: server.name, description: server.description },
    suspended: server.status === 'suspended',
    environment: serverEnvironment(state, server),
    invocation: server.startup,
    skip_egg_scripts: server.skipScripts,
    build: {
      memory_limit: server.memory,
      swap: server.swap,
      io_weight: server.io,
      cpu_limit: server.cpu,
      threads: server.threads,
      disk_space: server.disk,
      oom_disabled: server.oomDisabled,
    },
    container: {
      image: server.image,
      oom_disabled: server.oomDisabled,
      requires_rebuild: false,
    },
    allocations: {
      force_outgoing_ip: egg.forceOutgoingIp,
      default: { ip: primary.ip, port: primary.port },
      mappings: allocationMappings(state, server),
    },
    mounts: server.mounts.map((m) => ({
      source: m.source,
      target: m.target,
      read_only: m.readOnly,
    })),
    egg: { id: egg.uuid, file_denylist: inherited(state, egg, 'fileDenylist') },
  }
}

/** `ip → [ports]` for allocations on the server's current node; PHP writes an empty map as `[]`. */
function allocationMappings(
  state: PanelState,
  server: ServerRecord,
): Record<string, number[]> | [] {
  const mappings: Record<string, number[]> = {}
  for (const a of state.allocationsOf(server)) (mappings[a.ip] ??= []).push(a.port)
  return Object.keys(mappings).length === 0 ? [] : mappings
}

/** The Panel's `inherit_*` accessors: the egg's own value, else its "copy settings from" parent's. */
function inherited<
  K extends 'configStartup' | 'configStop' | 'configFiles' | 'configLogs' | 'fileDenylist',
>(state: PanelState, egg: EggRecord, field: K): EggRecord[K] {
  if (egg[field] !== null || egg.configFrom === null) return egg[field]
  return state.egg(egg.configFrom)[field]
}

/**
 * The Panel's `copy_script_*` accessors: the egg's own value unless it is null and the egg copies
 * its script from another (container and entrypoint are never null here, so only the script is).
 */
export function installScript(
  state: PanelState,
  egg: EggRecord,
): { container_image: string; entrypoint: string; script: string | null } {
  const script =
    egg.scriptInstall === null && egg.copyScriptFrom !== null
      ? state.egg(egg.copyScriptFrom).scriptInstall
      : egg.scriptInstall
  return { container_image: egg.scriptContainer, entrypoint: egg.scriptEntry, script }
}

function processConfiguration(state: PanelState, server: ServerRecord): Record<string, unknown> {
  const egg = state.egg(server.eggId)
  const startup = decode(inherited(state, egg, 'configStartup'))
  const stop = inherited(state, egg, 'configStop')
  const files = decode(inherited(state, egg, 'configFiles'))
  // PHP type errors in the Panel's converters: the whole request fails with 500.
  if (startup === null || typeof startup !== 'object') throw PanelErrors.unexpected('TypeError')
  if (stop === null) throw PanelErrors.unexpected('TypeError')
  if (!isObject(files)) throw PanelErrors.unexpected('TypeError')

  const startupMap = isObject(startup) ? startup : {}
  const done = startupMap['done'] ?? null
  const stripAnsi = startupMap['strip_ansi']
  return {
    startup: {
      done: typeof done === 'string' ? [done] : done,
      user_interaction: [],
      strip_ansi: stripAnsi ?? false,
    },
    stop: stop.startsWith('^')
      ? { type: 'signal', value: stop.slice(1).toUpperCase() }
      : { type: 'command', value: stop },
    configs: configFiles(files, legacyStructure(state, server)),
  }
}

function decode(text: string | null): unknown {
  if (text === null) return null
  try {
    return JSON.parse(text) as unknown
  } catch {
    return null
  }
}

function configFiles(
  files: Record<string, unknown>,
  structure: Record<string, unknown>,
): unknown[] {
  const out: unknown[] = []
  for (const [file, data] of Object.entries(files)) {
    // The Panel silently drops entries that are not objects or have no `find`.
    if (!isObject(data) || data['find'] === undefined || data['find'] === null) continue
    const find = data['find']
    if (typeof find !== 'object') throw PanelErrors.unexpected('ErrorException')
    const entry: Record<string, unknown> = { ...data, file, replace: [] }
    const replace: unknown[] = []
    for (const [match, value] of phpEntries(iterate(find, structure))) {
      if (isObject(value)) {
        for (const [ifValue, replaceWith] of Object.entries(value)) {
          replace.push({ match, if_value: ifValue, replace_with: replaceWith })
        }
        continue
      }
      replace.push({ match, replace_with: value })
    }
    entry['replace'] = replace
    delete entry['find']
    out.push(entry)
  }
  return out
}

/** Entries of a decoded JSON container; list indexes stay integers, as PHP array keys do. */
function phpEntries(value: unknown): [string | number, unknown][] {
  if (Array.isArray(value)) return value.map((v, i) => [i, v])
  return isObject(value) ? Object.entries(value) : []
}

function iterate(data: unknown, structure: Record<string, unknown>): unknown {
  if (Array.isArray(data))
    return data.map((v) =>
      typeof v === 'object' && v !== null
        ? iterate(v, structure)
        : replacePlaceholders(v, structure),
    )
  if (!isObject(data)) return data
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(data)) {
    out[key] =
      typeof value === 'object' && value !== null
        ? iterate(value, structure)
        : replacePlaceholders(value, structure)
  }
  return out
}

const LEGACY_ALIASES: Readonly<Record<string, string>> = {
  'config.docker.interface': 'config.docker.network.interface',
  'server.build.env.SERVER_MEMORY': 'server.build.memory',
  'env.SERVER_MEMORY': 'server.build.memory',
  'server.build.env.SERVER_IP': 'server.build.default.ip',
  'env.SERVER_IP': 'server.build.default.ip',
  'server.build.env.SERVER_PORT': 'server.build.default.port',
  'env.SERVER_PORT': 'server.build.default.port',
}

/**
 * The Panel's placeholder pass over one value. Faithful to its quirk: a legacy alias is rewritten
 * (e.g. `{{env.SERVER_PORT}}` → `{{server.build.default.port}}`) but then looked up under its old
 * name, which is gone, so the rewritten placeholder is left in the output.
 */
function replacePlaceholders(value: unknown, structure: Record<string, unknown>): unknown {
  if (typeof value !== 'string') return value
  let out = value
  for (const m of value.matchAll(/\{\{([\w.-]*)\}\}/g)) {
    const key = m[1]!
    if (!/^(server|env|config)\./.test(key)) continue
    const alias = LEGACY_ALIASES[key]
    if (alias !== undefined) out = out.replaceAll(`{{${key}}}`, `{{${alias}}}`)
    if (key.startsWith('config.')) continue
    const path = key.startsWith('server.')
      ? key.slice('server.'.length)
      : `build.env.${key.slice('env.'.length)}`
    out = out.replaceAll(`{{${key}}}`, phpString(arrGet(structure, path)))
  }
  return out
}

/** Laravel's `Arr::get($array, 'a.b.c', '')`. */
function arrGet(root: unknown, path: string): unknown {
  if (isObject(root) && path in root) return root[path]
  let current: unknown = root
  for (const segment of path.split('.')) {
    if (isObject(current) && segment in current) current = current[segment]
    else if (Array.isArray(current) && /^\d+$/.test(segment) && Number(segment) < current.length) {
      current = current[Number(segment)]
    } else return ''
  }
  return current
}

/** PHP's string conversion inside `str_replace`; an array there is a TypeError (HTTP 500). */
function phpString(value: unknown): string {
  if (value === null || value === undefined || value === false) return ''
  if (value === true) return '1'
  if (typeof value === 'string') return value
  if (typeof value === 'number') return String(value)
  throw new PanelError(
    500,
    'TypeError',
    'An unexpected error was encountered while processing this request, please try again.',
  )
}

/** The Panel's legacy server structure, which `{{server.*}}` placeholders read from. */
function legacyStructure(state: PanelState, server: ServerRecord): Record<string, unknown> {
  const primary = state.allocation(server.allocationId)
  const ports: Record<string, number[]> = {}
  for (const a of state.allocations.filter((x) => x.serverId === server.id))
    (ports[a.ip] ??= []).push(a.port)
  return {
    uuid: server.uuid,
    build: {
      default: { ip: primary.ip, port: primary.port },
      ports,
      env: serverEnvironment(state, server),
      oom_disabled: server.oomDisabled,
      memory: server.memory,
      swap: server.swap,
      io: server.io,
      cpu: server.cpu,
      threads: server.threads,
      disk: server.disk,
      image: server.image,
    },
    service: { egg: state.egg(server.eggId).uuid, skip_scripts: server.skipScripts },
    rebuild: false,
    suspended: server.status === 'suspended' ? 1 : 0,
  }
}
