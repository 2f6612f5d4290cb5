#!/usr/bin/env node
// Builds the optional N-API addon (native/jail.cc) with node-gyp. Run by this package's `install`
// script, so `pnpm install` builds it. A missing compiler, node-gyp or Node headers, or a failed
// build, only prints a warning: the package then runs in its pure-JS mode ('walk').
//
//   node scripts/build-native.mjs [--force]
import { spawnSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

const pkg = path.resolve(import.meta.dirname, '..')
const output = path.join(pkg, 'build', 'Release', 'filesystem_jail.node')
const sources = [path.join(pkg, 'binding.gyp'), path.join(pkg, 'native', 'jail.cc')]
const log = (message) => console.error(`[filesystem-jail] ${message}`)

if (process.platform !== 'linux') {
  log(`no native addon on ${process.platform}: the package needs Linux`)
  process.exit(0)
}
if (process.env.FILESYSTEM_JAIL_SKIP_NATIVE) {
  log('FILESYSTEM_JAIL_SKIP_NATIVE is set: not building the native addon')
  process.exit(0)
}
const force = process.argv.includes('--force')
if (!force && existsSync(output)) {
  const built = statSync(output).mtimeMs
  if (sources.every((file) => statSync(file).mtimeMs <= built)) process.exit(0)
}

// The Node download site may be unreachable: build against headers already on this machine.
// N-API is ABI-stable, so headers of any Node version >= 12.22 will do.
const candidates = [
  process.env.npm_config_nodedir,
  path.resolve(path.dirname(process.execPath), '..'),
  '/usr',
  '/usr/local',
].filter(Boolean)
const nodedir = candidates.find((dir) =>
  existsSync(path.join(dir, 'include', 'node', 'node_api.h')),
)
if (!nodedir) {
  log('no Node headers (include/node/node_api.h) found: the package runs in its JS mode')
  process.exit(0)
}

// Our own devDependency in the workspace; npm's bundled copy when installed from a registry.
let gyp = process.env.npm_config_node_gyp
try {
  gyp = createRequire(path.join(pkg, 'package.json')).resolve('node-gyp/bin/node-gyp.js')
} catch {
  // fall back to npm's copy, if any
}
if (!gyp || !existsSync(gyp)) {
  log('node-gyp is not installed: the package runs in its JS mode')
  process.exit(0)
}

const result = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`], {
  cwd: pkg,
  stdio: ['ignore', 'ignore', 'pipe'],
  encoding: 'utf8',
})
if (result.status !== 0) {
  const tail = (result.stderr ?? '').trim().split('\n').slice(-15).join('\n')
  log(`building the native addon failed: the package runs in its JS mode\n${tail}`)
  process.exit(0)
}
log(`native addon built against the headers in ${nodedir}`)
