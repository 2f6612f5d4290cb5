import { readFile } from 'node:fs/promises'
import path from 'node:path'

import convict from 'convict'
import { isScalar, parseDocument, type Document } from 'yaml'

import {
  getAt,
  isPlainObject,
  schemaRoot,
  setAt,
  settingEntries,
  type SchemaBranch,
} from './config-tree.js'
import { configSchema, DEFAULT_CONFIG_PATH, type DaemonConfig } from './schema.js'
import { isSetting, registerFormats, settingProblem, wantsText, type Setting } from './setting.js'

/** The file does not exist (behaviour.md §1: the CLI prints a notice and exits 1). */
export class ConfigNotFoundError extends Error {
  readonly path: string

  constructor(file: string, options?: ErrorOptions) {
    super(`Configuration File Not Found: ${file}`, options)
    this.name = 'ConfigNotFoundError'
    this.path = file
  }
}

/**
 * The file exists but cannot be used; `problems` name each key and the form it expects (one line
 * each). The CLI prints the message and exits 1.
 */
export class ConfigInvalidError extends Error {
  readonly path: string
  readonly problems: readonly string[]

  constructor(file: string, problems: readonly string[], options?: ErrorOptions) {
    // One line for one problem; a line for each when there are several.
    const detail =
      problems.length === 1 ? ` ${problems[0]}` : `\n${problems.map((p) => `  ${p}`).join('\n')}`
    super(`The configuration file ${file} is not valid:${detail}`, options)
    this.name = 'ConfigInvalidError'
    this.path = file
    this.problems = problems
  }
}

/** A setting whose value came from an environment variable instead of the file. */
export interface EnvOverride {
  /** Dotted key, e.g. `token`. */
  readonly key: string
  readonly variable: string
  /** The value in effect (from the environment). */
  readonly value: unknown
  /** The file's own value; undefined when the file did not set the key. */
  readonly fileValue: unknown
}

export interface LoadConfigOptions {
  /** The `--config` path; relative paths are resolved against `cwd`. Default /etc/pterodactyl/config.yml. */
  readonly path?: string
  /** Default: process.cwd(). */
  readonly cwd?: string
  /** Environment consulted for the settings' `env` variables. Default: process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>
}

export interface LoadedConfig {
  /** Absolute path of the file that was read. */
  readonly path: string
  readonly config: DaemonConfig
  /** Keys the schema does not know; they are kept and written back unchanged. */
  readonly unknownKeys: readonly string[]
  /** Settings taken from the environment; pass them to saveConfig so they stay out of the file. */
  readonly envOverrides: readonly EnvOverride[]
}

/**
 * Reads config.yml the way Wings does: YAML decoded over the defaults (behaviour.md §15). Keys the
 * schema does not know are kept (Wings and Pelican files carry keys we do not implement); a bad
 * value rejects with ConfigInvalidError naming the key; a missing file with ConfigNotFoundError.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const file = path.resolve(options.cwd ?? process.cwd(), options.path ?? DEFAULT_CONFIG_PATH)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new ConfigNotFoundError(file, { cause: err })
    if (code === 'EISDIR') throw new ConfigInvalidError(file, ['the path is a directory'])
    throw new ConfigInvalidError(file, [`the file cannot be read (${code ?? String(err)})`], {
      cause: err,
    })
  }

  let parsed: unknown
  try {
    parsed = parseConfigYaml(text)
  } catch (err) {
    throw new ConfigInvalidError(file, [(err as Error).message], { cause: err })
  }
  const env = options.env ?? process.env
  const result = decodeConfig(parsed, env)
  if (result.problems.length > 0) throw new ConfigInvalidError(file, result.problems)

  const envOverrides: EnvOverride[] = []
  for (const { path: keyPath, key, setting } of settingEntries()) {
    if (setting.env === undefined || env[setting.env] === undefined) continue
    envOverrides.push({
      key,
      variable: setting.env,
      value: getAt(result.config, keyPath),
      fileValue: getAt(result.cleaned, keyPath),
    })
  }
  return { path: file, config: result.config, unknownKeys: result.unknownKeys, envOverrides }
}

/** Every setting at its default (what a missing key means). */
export function defaultConfig(): DaemonConfig {
  registerFormats()
  return createConvict({}).getProperties()
}

/**
 * Why `candidate` would not load, one line per key (`api.port: must be a port number …`); empty
 * when it is valid. Used before writing a configuration received from the Panel.
 */
export function checkConfig(candidate: unknown): readonly string[] {
  return decodeConfig(candidate, {}).problems
}

/**
 * Parses config.yml text. YAML 1.1 as Go's yaml.v2 reads it (`yes`/`no` are booleans, `0755` is
 * octal), except that a string setting keeps its scalar's source text: `token_id: 0123` is the
 * string "0123", as yaml.v2 decodes it into a Go string. Registered as convict's YAML parser.
 */
function parseConfigYaml(text: string): unknown {
  const doc = parseDocument(text, { version: '1.1', uniqueKeys: true })
  const [first] = doc.errors
  if (first) throw new Error(`not valid YAML: ${first.message.split('\n')[0] ?? ''}`)
  const value: unknown = doc.toJS({ maxAliasCount: 1000 })
  if (isPlainObject(value)) keepSourceText(doc, value)
  return value ?? {}
}

registerFormats()
convict.addParser({ extension: ['yml', 'yaml'], parse: parseConfigYaml })

interface Decoded {
  readonly config: DaemonConfig
  /** The input with nulls of known keys removed (what the file sets). */
  readonly cleaned: Record<string, unknown>
  readonly unknownKeys: readonly string[]
  readonly problems: readonly string[]
}

/** A value convict does not see: a map setting or an unknown key (see decodeConfig). */
interface SetAside {
  readonly path: readonly string[]
  readonly value: unknown
  readonly setting?: Setting<unknown>
}

/**
 * Decodes a parsed file over the defaults. Convict gets only the known, non-map part of the tree:
 * its flatten/walk helpers split paths on dots, so map keys such as registry hosts
 * (`registry.example.com`) and arbitrary unknown keys would break it. Maps are checked here with
 * the same formats and merged entry by entry over their defaults, as convict merges them;
 * unknown keys are put back unchanged.
 */
function decodeConfig(input: unknown, env: Readonly<Record<string, string | undefined>>): Decoded {
  const problems: string[] = []
  if (!isPlainObject(input)) {
    problems.push('the file must be a YAML mapping of settings (key: value)')
    return { config: defaultConfig(), cleaned: {}, unknownKeys: [], problems }
  }
  const aside: SetAside[] = []
  const known: Record<string, unknown> = {}
  const cleaned = clean(input, schemaRoot, [], known, aside, problems)
  const instance = createConvict(env)
  instance.load(known)
  try {
    instance.validate({ allowed: 'warn', output: () => undefined })
  } catch (err) {
    problems.push(...explain((err as Error).message, env))
  }
  const config = instance.getProperties() as unknown as Record<string, unknown>
  const unknownKeys: string[] = []
  for (const { path: keyPath, value, setting } of aside) {
    if (setting) {
      const problem = settingProblem(setting, value)
      if (problem) problems.push(`${keyPath.join('.')}: ${problem}`)
      else setAt(config, keyPath, { ...(getAt(config, keyPath) as object), ...(value as object) })
    } else {
      unknownKeys.push(keyPath.join('.'))
      setAt(config, keyPath, value)
    }
  }
  return { config: config as unknown as DaemonConfig, cleaned, unknownKeys, problems }
}

function createConvict(env: Readonly<Record<string, string | undefined>>) {
  // `args: []` keeps convict from reading process.argv; the CLI parses its own flags.
  return convict(configSchema as unknown as convict.Schema<DaemonConfig>, { env, args: [] })
}

/**
 * Walks the file's tree against the schema. Returns it without the nulls of known keys (a key
 * written without a value means its default); fills `known` with what convict checks, `aside`
 * with maps and unknown keys, and `problems` with values of the wrong shape.
 */
function clean(
  value: Record<string, unknown>,
  branch: SchemaBranch,
  prefix: readonly string[],
  known: Record<string, unknown>,
  aside: SetAside[],
  problems: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, child] of Object.entries(value)) {
    const keyPath = [...prefix, key]
    const node = Object.hasOwn(branch, key) ? branch[key] : undefined
    if (node === undefined) {
      aside.push({ path: keyPath, value: child })
      out[key] = child
    } else if (child === null || child === undefined) {
      continue
    } else if (isSetting(node)) {
      out[key] = child
      if (node.format === 'object') aside.push({ path: keyPath, value: child, setting: node })
      else if (isPlainObject(child)) {
        problems.push(
          `${keyPath.join('.')}: ${settingProblem(node, child) ?? 'must not be a mapping'}`,
        )
      } else known[key] = child
    } else if (!isPlainObject(child)) {
      problems.push(
        `${keyPath.join('.')}: must be a mapping of settings, not ${JSON.stringify(child)}`,
      )
    } else {
      const inner: Record<string, unknown> = {}
      out[key] = clean(child, node, keyPath, inner, aside, problems)
      known[key] = inner
    }
  }
  return out
}

/** Turns convict's validation message into one line per key, naming environment variables. */
function explain(message: string, env: Readonly<Record<string, string | undefined>>): string[] {
  const byKey = new Map(settingEntries().map((e) => [e.key, e.setting]))
  return message
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const key = /^([^:\s]+): /.exec(line)?.[1]
      const setting = key === undefined ? undefined : byKey.get(key)
      if (setting?.env !== undefined && env[setting.env] !== undefined) {
        return `${line} (set by the environment variable ${setting.env})`
      }
      return line
    })
}

/** See parseConfigYaml: string settings take the YAML source text of non-string scalars. */
function keepSourceText(doc: Document, value: Record<string, unknown>): void {
  const fix = (keyPath: readonly (string | number)[], current: unknown): unknown => {
    const text =
      typeof current === 'number' || typeof current === 'boolean'
        ? String(current)
        : current instanceof Date
          ? current.toISOString()
          : undefined
    if (text === undefined) return current
    const node = doc.getIn(keyPath, true)
    return isScalar(node) && typeof node.source === 'string' ? node.source : text
  }
  for (const { path: keyPath, setting } of settingEntries()) {
    const mode = wantsText(setting)
    if (mode === undefined) continue
    const current = getAt(value, keyPath)
    if (current === undefined) continue
    if (mode === 'value') {
      setAt(value, keyPath, fix(keyPath, current))
    } else if (mode === 'elements' && Array.isArray(current)) {
      current.forEach((element, i) => {
        current[i] = fix([...keyPath, i], element)
      })
    } else if (mode === 'map' && isPlainObject(current)) {
      for (const [k, v] of Object.entries(current)) current[k] = fix([...keyPath, k], v)
    } else if (mode === 'registry' && isPlainObject(current)) {
      for (const [registry, login] of Object.entries(current)) {
        if (!isPlainObject(login)) continue
        for (const field of ['username', 'password']) {
          if (Object.hasOwn(login, field)) {
            login[field] = fix([...keyPath, registry, field], login[field])
          }
        }
      }
    }
  }
}

/** The notice the CLI prints when the file is missing (behaviour.md §1), for a terminal. */
export function configNotFoundNotice(file: string): string {
  return [
    '',
    'Error: Configuration File Not Found',
    '',
    'The daemon was not able to locate its configuration file, and therefore cannot',
    "complete its boot process. Copy the configuration file shown on the node's",
    '"Configuration" tab in the Panel to the location below, or run `wings configure`.',
    '',
    `Location: ${file}`,
    '',
    'This is not a bug in this software.',
    '',
  ].join('\n')
}
