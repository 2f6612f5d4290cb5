import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'

import { describe, expect, it } from 'vitest'

const root = path.resolve(import.meta.dirname, '../..')

/** Every package another team can install: packages/* that are not private. */
function publishable(): string[] {
  return readdirSync(path.join(root, 'packages'))
    .map((dir) => path.join(root, 'packages', dir, 'package.json'))
    .map((file) => JSON.parse(readFileSync(file, 'utf8')) as { name: string; private?: boolean })
    .filter((manifest) => !manifest.private)
    .map((manifest) => manifest.name)
}

describe('the publishable packages', () => {
  // Packs every package, installs each on its own with npm (and the jail with pnpm) from the
  // registry and the tarballs, imports and type-checks every entry point: about a minute.
  it('install from their tarballs and import with plain Node, the jail on one backend', async () => {
    const script = path.join(root, 'scripts', 'check-packages.mjs')
    const { stdout } = await promisify(execFile)(process.execPath, [script], {
      cwd: root,
      maxBuffer: 16 << 20,
    })

    for (const name of publishable()) {
      expect(stdout).toMatch(new RegExp(`^${name}: installed with npm, imported ${name}`, 'm'))
    }
    expect(stdout).toMatch(/^@node\/filesystem-jail: installed with pnpm, same backend$/m)
    expect(stdout).toMatch(/^check-packages: ok /m)
  }, 600_000)
})
