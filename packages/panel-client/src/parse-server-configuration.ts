import type {
  Allocations,
  BuildLimits,
  ConfigFileRewrite,
  ConfigReplacement,
  EnvironmentValue,
  Mount,
  ProcessConfiguration,
  ServerConfiguration,
  ServerSettings,
  StopType,
} from '@node/server-state'
import type { Logger } from '@node/shared-kernel'

import { InvalidPanelDataError } from './invalid-panel-data-error.js'
import {
  fail,
  join,
  readArray,
  readBoolean,
  readInteger,
  readMap,
  readObject,
  readOptionalBoolean,
  readOptionalObject,
  readRequiredString,
  readString,
  readStringArray,
  type JsonObject,
} from './wire-reader.js'

export interface ParseServerConfigurationOptions {
  /** Receives the warning for a `replace` list that is dropped (the reference's tolerance). */
  readonly logger?: Logger
  /** Path of `raw` inside a larger document, used in error messages (`data[3]`). */
  readonly field?: string
}

const STOP_TYPES: readonly StopType[] = ['command', 'signal', 'stop', '']
const PORT = { min: 0, max: 65_535 } as const

/**
 * Translates one server's `{settings, process_configuration}` (panel-remote-calls.md §4) into the
 * domain ServerConfiguration. Tolerates what the Panel really sends (PHP's `[]` for empty maps,
 * nulls, absent keys read as Go zero values, the legacy `value` key); anything else malformed
 * throws InvalidPanelDataError naming the field, and nothing half-built is returned.
 */
export function parseServerConfiguration(
  raw: unknown,
  options: ParseServerConfigurationOptions = {},
): ServerConfiguration {
  const prefix = options.field ?? ''
  const root = readObject(raw, prefix === '' ? 'the server configuration' : prefix)
  return {
    settings: parseSettings(root.settings, join(prefix, 'settings')),
    process: parseProcessConfiguration(
      root.process_configuration,
      join(prefix, 'process_configuration'),
      options.logger,
    ),
  }
}

function parseSettings(value: unknown, field: string): ServerSettings {
  const settings = readObject(value, field)
  const at = (key: string): string => join(field, key)
  const meta = readOptionalObject(settings.meta, at('meta'))
  const container = readOptionalObject(settings.container, at('container'))
  const egg = readOptionalObject(settings.egg, at('egg'))
  return {
    uuid: readRequiredString(settings.uuid, at('uuid')),
    meta: {
      name: readString(meta.name, join(at('meta'), 'name')),
      description: readString(meta.description, join(at('meta'), 'description')),
    },
    suspended: readBoolean(settings.suspended, at('suspended')),
    environment: parseEnvironment(settings.environment, at('environment')),
    invocation: readString(settings.invocation, at('invocation')),
    skipEggScripts: readBoolean(settings.skip_egg_scripts, at('skip_egg_scripts')),
    build: parseBuild(settings.build, at('build')),
    container: { image: readString(container.image, join(at('container'), 'image')) },
    allocations: parseAllocations(settings.allocations, at('allocations')),
    mounts: readArray(settings.mounts, at('mounts')).map((mount, index) =>
      parseMount(mount, join(at('mounts'), index)),
    ),
    egg: {
      id: readString(egg.id, join(at('egg'), 'id')),
      fileDenylist: readStringArray(egg.file_denylist, join(at('egg'), 'file_denylist')),
    },
    labels: parseLabels(settings.labels, at('labels')),
    crashDetectionEnabled: readOptionalBoolean(
      settings.crash_detection_enabled,
      at('crash_detection_enabled'),
    ),
  }
}

function parseEnvironment(value: unknown, field: string): Record<string, EnvironmentValue> {
  const environment: Record<string, EnvironmentValue> = {}
  for (const [key, item] of Object.entries(readMap(value, field))) {
    if (
      item !== null &&
      typeof item !== 'string' &&
      typeof item !== 'boolean' &&
      !(typeof item === 'number' && Number.isFinite(item))
    ) {
      fail(join(field, key), 'a string, number, boolean or null', item)
    }
    environment[key] = item
  }
  return environment
}

function parseBuild(value: unknown, field: string): BuildLimits {
  const build = readOptionalObject(value, field)
  const at = (key: string): string => join(field, key)
  // Pelican sends `oom_killer`, the inverse of Pterodactyl's `oom_disabled`.
  const oomKiller = readOptionalBoolean(build.oom_killer, at('oom_killer'))
  const oomDisabled =
    build.oom_disabled === undefined && oomKiller !== undefined
      ? !oomKiller
      : readBoolean(build.oom_disabled, at('oom_disabled'))
  return {
    memoryLimit: readInteger(build.memory_limit, at('memory_limit'), { min: 0 }),
    swap: readInteger(build.swap, at('swap'), { min: -1 }),
    ioWeight: readInteger(build.io_weight, at('io_weight'), { min: 0 }),
    cpuLimit: readInteger(build.cpu_limit, at('cpu_limit'), { min: 0 }),
    threads: readString(build.threads, at('threads')),
    diskSpace: readInteger(build.disk_space, at('disk_space'), { min: 0 }),
    oomDisabled,
  }
}

function parseAllocations(value: unknown, field: string): Allocations {
  const allocations = readOptionalObject(value, field)
  const at = (key: string): string => join(field, key)
  const defaultAllocation = readOptionalObject(allocations.default, at('default'))
  const mappings: Record<string, number[]> = {}
  for (const [ip, ports] of Object.entries(readMap(allocations.mappings, at('mappings')))) {
    const portsField = join(at('mappings'), ip)
    mappings[ip] = readArray(ports, portsField).map((port, index) =>
      readRequiredInteger(port, join(portsField, index), PORT),
    )
  }
  return {
    forceOutgoingIp: readBoolean(allocations.force_outgoing_ip, at('force_outgoing_ip')),
    default: {
      ip: readString(defaultAllocation.ip, join(at('default'), 'ip')),
      port: readInteger(defaultAllocation.port, join(at('default'), 'port'), PORT),
    },
    mappings,
  }
}

function parseMount(value: unknown, field: string): Mount {
  const mount = readObject(value, field)
  return {
    source: readString(mount.source, join(field, 'source')),
    target: readString(mount.target, join(field, 'target')),
    readOnly: readBoolean(mount.read_only, join(field, 'read_only')),
  }
}

/** Pelican's container labels; absent or null (Pterodactyl never sends them) stays null. */
function parseLabels(value: unknown, field: string): Record<string, string> | null {
  if (value === undefined || value === null) return null
  const labels: Record<string, string> = {}
  for (const [key, item] of Object.entries(readMap(value, field))) {
    if (typeof item !== 'string') fail(join(field, key), 'a string', item)
    labels[key] = item
  }
  return labels
}

function parseProcessConfiguration(
  value: unknown,
  field: string,
  logger: Logger | undefined,
): ProcessConfiguration {
  const process = readObject(value, field)
  const at = (key: string): string => join(field, key)
  const startup = readOptionalObject(process.startup, at('startup'))
  const stop = readOptionalObject(process.stop, at('stop'))
  const stopType = readString(stop.type, join(at('stop'), 'type'))
  if (!(STOP_TYPES as readonly string[]).includes(stopType)) {
    fail(join(at('stop'), 'type'), '"command", "signal" or "stop"', stop.type)
  }
  return {
    startup: {
      done: readStringArray(startup.done, join(at('startup'), 'done')),
      userInteraction: readStringArray(
        startup.user_interaction,
        join(at('startup'), 'user_interaction'),
      ),
      stripAnsi: readBoolean(startup.strip_ansi, join(at('startup'), 'strip_ansi')),
    },
    stop: { type: stopType as StopType, value: readString(stop.value, join(at('stop'), 'value')) },
    configs: readArray(process.configs, at('configs')).map((config, index) =>
      parseConfigFile(config, join(at('configs'), index), logger),
    ),
  }
}

function parseConfigFile(value: unknown, field: string, logger?: Logger): ConfigFileRewrite {
  const config = readObject(value, field)
  for (const key of ['file', 'parser', 'replace']) {
    // The reference dereferences these keys unchecked and crashes; here it is a clear error.
    if (!(key in config)) throw new InvalidPanelDataError(field, `the key "${key}" is missing`)
  }
  const file = readString(config.file, join(field, 'file'))
  const parser = readString(config.parser, join(field, 'parser'))
  let replace: ConfigReplacement[]
  try {
    replace = readArray(config.replace, join(field, 'replace')).map((item, index) =>
      parseReplacement(item, join(join(field, 'replace'), index)),
    )
  } catch (err) {
    if (!(err instanceof InvalidPanelDataError)) throw err
    // As the reference: an undecodable replacement list disables the rewrite, not the server.
    logger?.warn('failed to decode configuration file replacements', {
      file,
      error: err.message,
    })
    replace = []
  }
  return { parser, file, replace }
}

function parseReplacement(value: unknown, field: string): ConfigReplacement {
  const replacement: JsonObject = readObject(value, field)
  if (typeof replacement.match !== 'string')
    fail(join(field, 'match'), 'a string', replacement.match)
  const ifValue = replacement.if_value
  if (ifValue !== undefined && ifValue !== null && typeof ifValue !== 'string') {
    fail(join(field, 'if_value'), 'a string', ifValue)
  }
  // Eggs written before `replace_with` existed use `value`.
  const key = 'replace_with' in replacement ? 'replace_with' : 'value'
  if (!(key in replacement)) {
    throw new InvalidPanelDataError(field, 'neither "replace_with" nor "value" is present')
  }
  return {
    match: replacement.match,
    ifValue: typeof ifValue === 'string' ? ifValue : undefined,
    replaceWith: replacement[key],
  }
}

function readRequiredInteger(
  value: unknown,
  field: string,
  range: { readonly min: number; readonly max: number },
): number {
  if (value === null || value === undefined) fail(field, 'an integer', value)
  return readInteger(value, field, range)
}
