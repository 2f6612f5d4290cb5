import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'

import { describe, expect, it } from 'vitest'

import { helpText } from '../cli/args.js'

// Every setting the daemon accepts must do something: each key of docs/configuration.md is read
// somewhere outside the config schema, and each flag of the CLI help is used, unless it is listed
// below with the reason it is accepted anyway (docs/compatibility.md repeats the reasons).

const SRC = path.resolve(import.meta.dirname, '..')
const DOCS = path.resolve(SRC, '../../../docs/configuration.md')
/** Files that define the settings rather than use them. */
const DEFINITIONS = new Set([
  'config/schema.ts',
  'config/setting.ts',
  'config/wings-json-fields.ts',
  'config/render-config-docs.ts',
  'cli/args.ts',
])

/** Keys accepted and kept in the file, but deliberately without effect here. */
const UNUSED_KEYS: Readonly<Record<string, string>> = {
  'system.backups.write_limit': 'the daemon serves no backup routes yet; read once it does',
  'system.backups.compression_level': 'the daemon serves no backup routes yet; read once it does',
  'system.transfers.download_limit': 'reserved: Wings 1.11 does not read it either',
  'system.openat_mode':
    'the jail uses openat2 where the kernel has it and its own walk elsewhere; no switch needed',
  'docker.use_performant_inspect': 'this daemon never asks Docker for size data when inspecting',
  'throttles.enabled': 'Wings 1.11 ignores it too: console throttling is always on',
}

/** Flags of the help that are refused or handled by the parser itself. */
const FLAGS_WITHOUT_FIELD: Readonly<Record<string, string>> = {
  help: 'answered by the parser',
  version: 'answered by the parser',
  'auto-tls': 'refused with a one-line reason (no ACME client)',
  'tls-hostname': 'refused with --auto-tls',
  'exclude-logs': 'read as includeLogs',
}

function sources(dir: string, root: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name)
    if (statSync(file).isDirectory()) {
      if (name !== 'node_modules' && name !== 'dist' && name !== 'testing') sources(file, root, out)
    } else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) {
      if (!DEFINITIONS.has(path.relative(root, file))) out.push(readFileSync(file, 'utf8'))
    }
  }
  return out
}

/** The daemon, where config is read, and the packages, which read what it passes on whole. */
const daemon = sources(SRC, SRC).join('\n')
const PACKAGES = path.resolve(SRC, '../../../packages')
const everywhere = [
  daemon,
  ...readdirSync(PACKAGES).map((p) => sources(path.join(PACKAGES, p, 'src'), SRC).join('\n')),
].join('\n')
/** Names too common to prove on their own that this key is the one read. */
const GENERIC = new Set(
  (
    'enabled type config name subnet gateway timeout memory cpu uid gid host port key cert data ' +
    'interface driver dns lines v4 v6 interfaces user debug token uuid remote network ssl sftp ' +
    'websocket system docker api global auth logs command other burst'
  ).split(' '),
)

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const access = (parent: string, name: string) =>
  new RegExp(`\\b${escape(parent)}\\??\\.${escape(name)}\\b(?!\\s*\\()`)
const anyAccess = (name: string) =>
  new RegExp(`(\\.${escape(name)}\\b(?!\\s*\\())|\\['${escape(name)}'\\]`)

/**
 * Whether `key` is read in the daemon: itself (`network.dns`, or a distinctive name such as
 * `d.tmpfs_size`), or an ancestor passed on whole (`interfaces.v4`) whose leaf some package reads.
 */
function isRead(key: string): boolean {
  const parts = key.split('.')
  const leaf = parts.at(-1) ?? ''
  if (parts.length === 1) return anyAccess(leaf).test(daemon)
  for (let i = parts.length - 1; i >= 1; i--) {
    const name = parts[i] ?? ''
    const direct = access(parts[i - 1] ?? '', name).test(daemon)
    const aliased = !GENERIC.has(name) && anyAccess(name).test(daemon)
    if (!direct && !aliased) continue
    return i === parts.length - 1 || anyAccess(leaf).test(everywhere)
  }
  return false
}

function documentedKeys(): string[] {
  const keys: string[] = []
  for (const line of readFileSync(DOCS, 'utf8').split('\n')) {
    const key = /^\| `([a-z0-9_.]+)` \|/.exec(line)?.[1]
    if (key !== undefined) keys.push(key)
  }
  return keys
}

function helpFlags(): string[] {
  const commands = ['start', 'configure', 'diagnostics', 'version'] as const
  const flags = commands.flatMap((c) =>
    [...helpText(c).matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1] ?? ''),
  )
  return [...new Set(flags)]
}

describe('every setting does something', () => {
  it('finds the keys of docs/configuration.md', () => {
    expect(documentedKeys().length).toBeGreaterThan(80)
  })

  it('reads each key of docs/configuration.md outside the schema, or says why not', () => {
    const ignored = documentedKeys().filter((key) => !isRead(key) && !(key in UNUSED_KEYS))

    expect(ignored).toEqual([])
  })

  it('lists no key as unused that is in fact read or no longer exists', () => {
    const documented = new Set(documentedKeys())
    for (const key of Object.keys(UNUSED_KEYS)) {
      expect({ key, documented: documented.has(key), read: isRead(key) }).toEqual({
        key,
        documented: true,
        read: false,
      })
    }
  })

  it('uses each flag of the CLI help, or says why not', () => {
    const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
    const unused = helpFlags().filter(
      (flag) => !(flag in FLAGS_WITHOUT_FIELD) && !anyAccess(camel(flag)).test(daemon),
    )

    expect(unused).toEqual([])
  })
})
