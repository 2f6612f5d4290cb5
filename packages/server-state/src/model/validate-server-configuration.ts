import type { ServerConfiguration } from './server-configuration.js'

/**
 * A configuration that breaks the model's invariants. Not a DaemonError: it means the Panel (or
 * an adapter) produced something unusable, which the daemon reports as a generic failure.
 */
export class InvalidConfigurationError extends Error {
  readonly problems: readonly string[]

  constructor(problems: readonly string[], options?: ErrorOptions) {
    super(`invalid server configuration: ${problems.join('; ')}`, options)
    this.name = 'InvalidConfigurationError'
    this.problems = problems
  }
}

const STOP_TYPES = new Set(['command', 'signal', 'stop', ''])

/**
 * Checks every field of `value` against the ServerConfiguration model and returns a deep-frozen
 * copy, so that no later mutation of the caller's object can bypass the check.
 * Rejects with InvalidConfigurationError listing every problem found.
 */
export function validateServerConfiguration(value: unknown): ServerConfiguration {
  const problems = findConfigurationProblems(value)
  if (problems.length > 0) throw new InvalidConfigurationError(problems)
  let copy: ServerConfiguration
  try {
    copy = structuredClone(value as ServerConfiguration)
  } catch (err) {
    throw new InvalidConfigurationError(['configuration must be plain data'], { cause: err })
  }
  return deepFreeze(copy)
}

/** Every way in which `value` is not a valid ServerConfiguration; empty when it is one. */
export function findConfigurationProblems(value: unknown): string[] {
  const c = new Checker()
  const root = c.object(value, 'configuration')
  if (!root) return c.problems

  const settings = c.object(root['settings'], 'settings')
  if (settings) {
    if (c.string(settings['uuid'], 'settings.uuid') && settings['uuid'] === '') {
      c.fail('settings.uuid', 'must not be empty')
    }
    const meta = c.object(settings['meta'], 'settings.meta')
    if (meta) {
      c.string(meta['name'], 'settings.meta.name')
      c.string(meta['description'], 'settings.meta.description')
    }
    c.boolean(settings['suspended'], 'settings.suspended')
    const environment = c.object(settings['environment'], 'settings.environment')
    if (environment) {
      for (const [key, v] of Object.entries(environment)) {
        const ok = v === null || ['string', 'number', 'boolean'].includes(typeof v)
        if (!ok || (typeof v === 'number' && !Number.isFinite(v))) {
          c.fail(`settings.environment.${key}`, 'must be a string, number, boolean or null')
        }
      }
    }
    c.string(settings['invocation'], 'settings.invocation')
    c.boolean(settings['skipEggScripts'], 'settings.skipEggScripts')
    const build = c.object(settings['build'], 'settings.build')
    if (build) {
      c.number(build['memoryLimit'], 'settings.build.memoryLimit', 0)
      c.number(build['swap'], 'settings.build.swap', -1)
      c.number(build['ioWeight'], 'settings.build.ioWeight', 0)
      c.number(build['cpuLimit'], 'settings.build.cpuLimit', 0)
      c.string(build['threads'], 'settings.build.threads')
      c.number(build['diskSpace'], 'settings.build.diskSpace', 0)
      c.boolean(build['oomDisabled'], 'settings.build.oomDisabled')
    }
    const container = c.object(settings['container'], 'settings.container')
    if (container) c.string(container['image'], 'settings.container.image')
    const allocations = c.object(settings['allocations'], 'settings.allocations')
    if (allocations) {
      c.boolean(allocations['forceOutgoingIp'], 'settings.allocations.forceOutgoingIp')
      const def = c.object(allocations['default'], 'settings.allocations.default')
      if (def) {
        c.string(def['ip'], 'settings.allocations.default.ip')
        c.port(def['port'], 'settings.allocations.default.port')
      }
      const mappings = c.object(allocations['mappings'], 'settings.allocations.mappings')
      if (mappings) {
        for (const [ip, ports] of Object.entries(mappings)) {
          const at = `settings.allocations.mappings.${ip}`
          c.array(ports, at)?.forEach((port, i) => c.port(port, `${at}[${i}]`))
        }
      }
    }
    c.array(settings['mounts'], 'settings.mounts')?.forEach((m, i) => {
      const mount = c.object(m, `settings.mounts[${i}]`)
      if (!mount) return
      c.string(mount['source'], `settings.mounts[${i}].source`)
      c.string(mount['target'], `settings.mounts[${i}].target`)
      c.boolean(mount['readOnly'], `settings.mounts[${i}].readOnly`)
    })
    const egg = c.object(settings['egg'], 'settings.egg')
    if (egg) {
      c.string(egg['id'], 'settings.egg.id')
      c.strings(egg['fileDenylist'], 'settings.egg.fileDenylist')
    }
    const labels = settings['labels']
    if (labels !== null) {
      const record = c.object(labels, 'settings.labels')
      if (record) {
        for (const [key, v] of Object.entries(record)) c.string(v, `settings.labels.${key}`)
      }
    }
    const crash = settings['crashDetectionEnabled']
    if (crash !== undefined) c.boolean(crash, 'settings.crashDetectionEnabled')
  }

  const proc = c.object(root['process'], 'process')
  if (proc) {
    const startup = c.object(proc['startup'], 'process.startup')
    if (startup) {
      c.strings(startup['done'], 'process.startup.done')
      c.strings(startup['userInteraction'], 'process.startup.userInteraction')
      c.boolean(startup['stripAnsi'], 'process.startup.stripAnsi')
    }
    const stop = c.object(proc['stop'], 'process.stop')
    if (stop) {
      if (typeof stop['type'] !== 'string' || !STOP_TYPES.has(stop['type'])) {
        c.fail('process.stop.type', 'must be "command", "signal", "stop" or ""')
      }
      c.string(stop['value'], 'process.stop.value')
    }
    c.array(proc['configs'], 'process.configs')?.forEach((f, i) => {
      const file = c.object(f, `process.configs[${i}]`)
      if (!file) return
      c.string(file['parser'], `process.configs[${i}].parser`)
      c.string(file['file'], `process.configs[${i}].file`)
      c.array(file['replace'], `process.configs[${i}].replace`)?.forEach((r, j) => {
        const at = `process.configs[${i}].replace[${j}]`
        const replacement = c.object(r, at)
        if (!replacement) return
        c.string(replacement['match'], `${at}.match`)
        if (replacement['ifValue'] !== undefined) c.string(replacement['ifValue'], `${at}.ifValue`)
        if (!('replaceWith' in replacement)) c.fail(`${at}.replaceWith`, 'is missing')
      })
    })
  }
  return c.problems
}

// At most this many problems are listed: a hostile or broken value must not yield a huge message.
const MAX_PROBLEMS = 20

class Checker {
  readonly problems: string[] = []

  fail(at: string, what: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(`${at} ${what}`)
  }
  object(v: unknown, at: string): Record<string, unknown> | undefined {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      return v as Record<string, unknown>
    }
    this.fail(at, 'must be an object')
    return undefined
  }
  array(v: unknown, at: string): readonly unknown[] | undefined {
    if (Array.isArray(v)) return v as readonly unknown[]
    this.fail(at, 'must be an array')
    return undefined
  }
  string(v: unknown, at: string): boolean {
    if (typeof v === 'string') return true
    this.fail(at, 'must be a string')
    return false
  }
  strings(v: unknown, at: string): void {
    this.array(v, at)?.forEach((s, i) => this.string(s, `${at}[${i}]`))
  }
  boolean(v: unknown, at: string): void {
    if (typeof v !== 'boolean') this.fail(at, 'must be a boolean')
  }
  number(v: unknown, at: string, min: number): void {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
      this.fail(at, `must be a number of at least ${min}`)
    }
  }
  port(v: unknown, at: string): void {
    if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 65535) {
      this.fail(at, 'must be a port number (0-65535)')
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
