#!/usr/bin/env node
// Builds the optional N-API addon (native/jail.cc) with node-gyp. Run by this package's `install`
// script, so `pnpm install` builds it. A missing compiler, node-gyp or Node headers, or a failed
// build, only prints a warning: the package then runs in its pure-JS mode ('walk').
//
// With --prebuild (the `prepack` script), the addon is also copied to
// prebuilds/<platform>-<arch>/, so the packed tarball carries it: an install that runs no install
// scripts (pnpm's default, npm's from version 12) still gets the native mode on this platform.
//
//   node scripts/build-native.mjs [--force] [--prebuild]
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

const pkg = path.resolve(import.meta.dirname, '..')
const ADDON = 'filesystem_jail.node'
const output = path.join(pkg, 'build', 'Release', ADDON)
const sources = [path.join(pkg, 'binding.gyp'), path.join(pkg, 'native', 'jail.cc')]
const log = (message) => console.error(`[filesystem-jail] ${message}`)

/** Whether build/Release holds an addon at least as new as its sources. */
function upToDate() {
  if (!existsSync(output)) return false
  const built = statSync(output).mtimeMs
  return sources.every((file) => statSync(file).mtimeMs <= built)
}

/** Builds the addon unless it is up to date (or `force`); false when there is none afterwards. */
function build(force) {
  if (process.platform !== 'linux') {
    log(`no native addon on ${process.platform}: the package needs Linux`)
    return false
  }
  if (process.env.FILESYSTEM_JAIL_SKIP_NATIVE) {
    log('FILESYSTEM_JAIL_SKIP_NATIVE is set: not building the native addon')
    return false
  }
  if (!force && upToDate()) return true

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
    return false
  }

  // Our own devDependency in the workspace; the package manager's bundled copy
  // (npm_config_node_gyp, which npm sets for install scripts) when installed as a dependency.
  let gyp = process.env.npm_config_node_gyp
  try {
    gyp = createRequire(path.join(pkg, 'package.json')).resolve('node-gyp/bin/node-gyp.js')
  } catch {
    // fall back to the package manager's copy, if any
  }
  if (!gyp || !existsSync(gyp)) {
    log('node-gyp is not installed: the package runs in its JS mode')
    return false
  }

  const result = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`], {
    cwd: pkg,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  })
  if (result.status !== 0) {
    const tail = (result.stderr ?? '').trim().split('\n').slice(-15).join('\n')
    log(`building the native addon failed: the package runs in its JS mode\n${tail}`)
    return false
  }
  log(`native addon built against the headers in ${nodedir}`)
  return true
}

/** Copies the fresh addon into prebuilds/, or empties prebuilds/ so nothing stale is packed. */
function prebuild(built) {
  const dir = path.join(pkg, 'prebuilds')
  rmSync(dir, { recursive: true, force: true })
  if (!built || !upToDate()) {
    log('no native addon to pack: the tarball installs in JS mode unless its install script runs')
    return
  }
  const target = path.join(dir, `${process.platform}-${process.arch}`)
  mkdirSync(target, { recursive: true })
  copyFileSync(output, path.join(target, ADDON))
  log(`packing the native addon for ${process.platform}-${process.arch}`)
}

const built = build(process.argv.includes('--force'))
if (process.argv.includes('--prebuild')) prebuild(built)
