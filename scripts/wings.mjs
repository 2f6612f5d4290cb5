#!/usr/bin/env node
// `pnpm wings [--] [args]` and `pnpm start`: run the daemon's CLI from the repository root,
// building first when the compiled entry point is missing.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const root = path.resolve(import.meta.dirname, '..')
const main = path.join(root, 'apps/daemon/dist/main.js')
const args = process.argv.slice(2)
if (args[0] === '--') args.shift()

if (!existsSync(main)) {
  const build = spawnSync('pnpm', ['build'], { cwd: root, stdio: 'inherit' })
  if (build.status !== 0) process.exit(build.status ?? 1)
}
process.argv = [process.argv[0], main, ...args]
await import(pathToFileURL(main).href)
