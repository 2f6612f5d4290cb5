import { randomBytes } from 'node:crypto'
import { mkdir, open, rename, rm } from 'node:fs/promises'
import path from 'node:path'

import { Document, isMap, isScalar } from 'yaml'

import { getAt, sameValue, setAt, settingEntries } from './config-tree.js'
import type { Logger } from '@node/shared-kernel'

import type { EnvOverride, LoadedConfig } from './load-config.js'
import type { DaemonConfig } from './schema.js'

export interface SaveConfigOptions {
  /**
   * From LoadedConfig: a setting still holding the value its environment variable gave it is
   * written with the file's own value (or its default), so secrets passed through the
   * environment never land in the file. A value changed since loading is written.
   */
  readonly envOverrides?: readonly EnvOverride[]
}

const queues = new Map<string, Promise<void>>()

/**
 * Writes `config` (unknown keys included) as YAML, mode 0600, atomically: a temporary file in the
 * same directory is written, synced and renamed over the target. Writes to one path are queued,
 * so the last call wins. Comments in the old file are lost, as with Wings.
 */
export async function saveConfig(
  file: string,
  config: DaemonConfig,
  options: SaveConfigOptions = {},
): Promise<void> {
  const target = path.resolve(file)
  const text = toConfigYaml(config, options)
  const previous = queues.get(target) ?? Promise.resolve()
  const current = previous.then(() => writeAtomically(target, text))
  const settled = current.catch(() => undefined)
  queues.set(target, settled)
  try {
    await current
  } finally {
    if (queues.get(target) === settled) queues.delete(target)
  }
}

/**
 * Boot step 10 (behaviour.md §1): the configuration as the start completed it (time zone, system
 * user ids) is written back to the file it came from, keys this daemon does not know included and
 * values from the environment left out. A read-only file system is tolerated with a warning, as
 * Pelican does (a configuration mounted read-only into a container); other failures reject.
 */
export async function writeConfigBack(
  loaded: LoadedConfig,
  config: DaemonConfig,
  logger: Logger,
): Promise<void> {
  try {
    await saveConfig(loaded.path, config, { envOverrides: loaded.envOverrides })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EROFS') throw err
    logger.warn('the configuration file is on a read-only file system; not written back', {
      path: loaded.path,
    })
  }
}

/** The YAML text saveConfig writes. */
export function toConfigYaml(config: DaemonConfig, options: SaveConfigOptions = {}): string {
  const out = structuredClone(config) as unknown as Record<string, unknown>
  const defaults = new Map(settingEntries().map((e) => [e.key, e]))
  for (const override of options.envOverrides ?? []) {
    const entry = defaults.get(override.key)
    if (!entry || !sameValue(getAt(out, entry.path), override.value)) continue
    setAt(out, entry.path, structuredClone(override.fileValue ?? entry.setting.default))
  }
  // YAML 1.1 quoting, so yaml.v2 (Wings) reads strings such as "yes" or "0755" back as strings.
  const doc = new Document(out, { version: '1.1' })
  // yaml.v2 reads `map[int]float64` keys only from YAML integers, not from quoted strings.
  for (const { path: keyPath, setting } of settingEntries()) {
    const node = setting.mapOf === 'multiplier' ? doc.getIn(keyPath, true) : undefined
    if (!isMap(node)) continue
    for (const pair of node.items) {
      if (isScalar(pair.key)) pair.key.value = Number(pair.key.value)
    }
  }
  return doc.toString({ indent: 2, lineWidth: 0 })
}

async function writeAtomically(target: string, text: string): Promise<void> {
  const dir = path.dirname(target)
  await mkdir(dir, { recursive: true, mode: 0o755 })
  const temp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const handle = await open(temp, 'wx', 0o600)
    try {
      await handle.writeFile(text, 'utf8')
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, target)
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
}
