#!/usr/bin/env node
// Copied into a scratch project by check-packages.mjs and run there with plain Node (no source
// condition): imports each entry point given as an argument from the project's node_modules, and
// with --jail also opens a jail and reports its backend. Prints one JSON object.
//
//   node package-probe.mjs [--jail] SPECIFIER...
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { text } from 'node:stream/consumers'

const args = process.argv.slice(2)
const result = { entries: {}, jail: undefined }

for (const specifier of args.filter((arg) => !arg.startsWith('--'))) {
  try {
    const module = await import(specifier)
    result.entries[specifier] = { exports: Object.keys(module).length }
  } catch (error) {
    result.entries[specifier] = { error: String(error?.message ?? error).split('\n')[0] }
  }
}

if (args.includes('--jail')) {
  const { Jail } = await import('@node/filesystem-jail')
  const dir = await mkdtemp(path.join(tmpdir(), 'package-probe-'))
  try {
    const jail = await Jail.open(dir, {})
    try {
      // A write, a read and a disk-usage walk (a worker thread, the addon's walk in openat2 mode).
      await jail.writeFile('a/b.txt', 'hello')
      const read = await text((await jail.openRead('a/b.txt')).stream)
      // The first walk may have run during the write and counts it twice (on purpose, see
      // disk-usage.ts); a walk started after it is exact.
      await jail.quota.usage.refresh()
      const usage = await jail.quota.usage.refresh()
      result.jail = { backend: jail.backend, read, usage }
    } finally {
      await jail.close()
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

console.log(JSON.stringify(result))
