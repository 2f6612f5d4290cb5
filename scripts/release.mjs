#!/usr/bin/env node
// `pnpm release [--out DIR]`: builds the self-contained release of the daemon for this machine's
// CPU (Linux): a folder and its tarball holding the built daemon with its production dependencies
// only, the Node.js 24 runtime (from the npm registry's node-linux-<arch> package), the native
// filesystem-jail addon built against that runtime, the `wings` command, the systemd unit and the
// Dockerfile. `tar -x` and `./wings --config …` is the whole install (docs/deploy.md). Prints the
// sizes and the start time of the result.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'

const root = path.resolve(import.meta.dirname, '..')
const RUNTIME_MAJOR = 24
const ARCHES = new Set(['x64', 'arm64'])

const { values } = parseArgs({ options: { out: { type: 'string' } } })
const outDir = path.resolve(values.out ?? path.join(root, 'build', 'release'))
const log = (message) => console.error(`[release] ${message}`)

function fail(message) {
  log(`error: ${message}`)
  process.exit(1)
}

/** Runs a command to its end; its output goes to stderr. Fails the release when it fails. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    ...options,
    env: { ...process.env, ...options.env },
  })
  if (result.error) fail(`${command}: ${result.error.message}`)
  if (result.status !== 0) fail(`${command} ${args.join(' ')} exited with ${result.status}`)
  return result
}

function capture(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options })
  if (result.error) fail(`${command}: ${result.error.message}`)
  if (result.status !== 0) fail(`${command} ${args.join(' ')}: ${result.stderr.trim()}`)
  return result.stdout.trim()
}

if (process.platform !== 'linux') fail(`a release is built on Linux, not ${process.platform}`)
if (!ARCHES.has(process.arch)) fail(`no Node.js runtime package for ${process.arch}`)
const version = JSON.parse(
  readFileSync(path.join(root, 'apps/daemon/package.json'), 'utf8'),
).version
const name = `wings-${version}-linux-${process.arch}`
const stage = path.join(outDir, name)
const tarball = `${stage}.tar.gz`
const started = Date.now()

log('building the workspace')
run('pnpm', ['build'], { cwd: root })

rmSync(stage, { recursive: true, force: true })
rmSync(tarball, { force: true })
mkdirSync(stage, { recursive: true })

log('copying the daemon with its production dependencies (pnpm deploy)')
const app = path.join(stage, 'app')
// Injected workspace packages: each is copied as it would be published (its `files`), and only
// `dependencies` come along; --no-optional leaves out the demo's Panel simulator.
run(
  'pnpm',
  [
    '--config.inject-workspace-packages=true',
    '--filter',
    '@node/daemon',
    'deploy',
    '--prod',
    '--no-optional',
    '--prefer-offline',
    app,
  ],
  { cwd: root },
)
rmSync(path.join(app, 'pnpm-lock.yaml'), { force: true })
const daemonPackage = JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8'))
// The deployed package.json names the checkout's paths; the release needs none of that.
writeFileSync(
  path.join(app, 'package.json'),
  JSON.stringify(
    {
      name: daemonPackage.name,
      version: daemonPackage.version,
      description: daemonPackage.description,
      private: true,
      type: daemonPackage.type,
    },
    null,
    2,
  ) + '\n',
)

log(`fetching the Node.js ${RUNTIME_MAJOR} runtime for linux-${process.arch}`)
const runtime = nodeRuntime(process.arch)
mkdirSync(path.join(stage, 'runtime', 'bin'), { recursive: true })
cpSync(path.join(runtime.dir, 'bin', 'node'), path.join(stage, 'runtime', 'bin', 'node'))
cpSync(path.join(runtime.dir, 'LICENSE'), path.join(stage, 'runtime', 'LICENSE'))

log('building the native filesystem-jail addon against that runtime')
buildJailAddon(runtime.dir)
rmSync(runtime.dir, { recursive: true, force: true })

for (const [from, to] of [
  ['deploy/wings', 'wings'],
  ['deploy/Dockerfile', 'Dockerfile'],
  ['deploy/wings.service', 'contrib/wings.service'],
  ['deploy/docker-entrypoint.sh', 'contrib/docker-entrypoint.sh'],
  ['docs/deploy.md', 'DEPLOY.md'],
]) {
  cpSync(path.join(root, from), path.join(stage, to))
}
writeFileSync(
  path.join(stage, 'release.json'),
  JSON.stringify(
    {
      name,
      version,
      node: runtime.version,
      platform: 'linux',
      arch: process.arch,
      commit: gitCommit(),
      built: new Date().toISOString(),
    },
    null,
    2,
  ) + '\n',
)

const startMs = startTime(stage, version)
log('packing the tarball')
run('tar', ['-C', outDir, '-czf', tarball, name])

const report = [
  `release   ${stage}`,
  `tarball   ${tarball}`,
  `folder    ${mib(treeSize(stage))} MiB (runtime ${mib(treeSize(path.join(stage, 'runtime')))} MiB, daemon and dependencies ${mib(treeSize(app))} MiB)`,
  `tarball   ${mib(statSync(tarball).size)} MiB`,
  `start     ${startMs} ms (\`wings --version\`: the runtime started and every module loaded, median of 5)`,
  `node      ${runtime.version} (linux-${process.arch}), native jail addon built`,
  `built in  ${((Date.now() - started) / 1000).toFixed(1)} s`,
]
console.log(report.join('\n'))

/**
 * The node-linux-<arch> package of the npm registry (the official Node.js binary and headers),
 * unpacked into a temporary directory. The running Node's version when it is a 24, else the
 * newest 24. Tarballs are kept in .tools/release-cache/.
 */
function nodeRuntime(arch) {
  const pkg = `node-linux-${arch}`
  const wanted =
    Number(process.versions.node.split('.')[0]) === RUNTIME_MAJOR
      ? process.versions.node
      : newest(capture('npm', ['view', `${pkg}@${RUNTIME_MAJOR}`, 'version', '--json']))
  const cache = path.join(root, '.tools', 'release-cache')
  mkdirSync(cache, { recursive: true })
  const file = path.join(cache, `${pkg}-${wanted}.tgz`)
  if (!existsSync(file)) {
    run('npm', ['pack', `${pkg}@${wanted}`, '--pack-destination', cache, '--silent'], {
      cwd: cache,
    })
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'wings-runtime-'))
  run('tar', ['-xzf', file, '-C', dir])
  return { dir: path.join(dir, 'package'), version: `v${wanted}` }
}

function newest(json) {
  const list = [].concat(JSON.parse(json))
  const key = (v) => v.split('.').map(Number)
  return list.sort((a, b) => {
    const [x, y] = [key(a), key(b)]
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]
  })[list.length - 1]
}

/**
 * Builds native/jail.cc in the deployed copy of @node/filesystem-jail with the workspace's
 * node-gyp, against the runtime's headers, checks that the runtime loads it and that it answers,
 * and leaves only the addon itself.
 */
function buildJailAddon(runtimeDir) {
  const jail = realpathSync(path.join(app, 'node_modules', '@node', 'filesystem-jail'))
  const gyp = createRequire(path.join(root, 'packages/filesystem-jail/package.json')).resolve(
    'node-gyp/bin/node-gyp.js',
  )
  const node = path.join(stage, 'runtime', 'bin', 'node')
  run(node, [path.join(jail, 'scripts', 'build-native.mjs'), '--force'], {
    cwd: jail,
    env: { npm_config_nodedir: runtimeDir, npm_config_node_gyp: gyp },
  })
  const addon = path.join(jail, 'build', 'Release', 'filesystem_jail.node')
  if (!existsSync(addon)) {
    fail('the native filesystem-jail addon was not built (needs g++, make and python3)')
  }
  const answer = capture(node, ['-p', `typeof require(${JSON.stringify(addon)}).probe()`])
  if (answer !== 'number') fail(`the runtime cannot use the addon it was built for (${answer})`)
  const build = path.join(jail, 'build')
  for (const entry of readdirSync(build)) {
    if (entry !== 'Release') rmSync(path.join(build, entry), { recursive: true, force: true })
  }
  for (const entry of readdirSync(path.join(build, 'Release'))) {
    if (entry !== 'filesystem_jail.node') {
      rmSync(path.join(build, 'Release', entry), { recursive: true, force: true })
    }
  }
}

/** Milliseconds `wings --version` takes from the release itself: the median of 5 runs. */
function startTime(dir, expected) {
  const times = []
  for (let i = 0; i < 5; i++) {
    const begin = process.hrtime.bigint()
    const out = capture(path.join(dir, 'wings'), ['--version'], { env: { PATH: '/usr/bin:/bin' } })
    times.push(Number(process.hrtime.bigint() - begin) / 1e6)
    if (out !== `wings v${expected}`) fail(`./wings --version printed "${out}"`)
  }
  return Math.round(times.sort((a, b) => a - b)[2])
}

function gitCommit() {
  const result = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' })
  return result.status === 0 ? result.stdout.trim() : 'unknown'
}

/** Bytes of the regular files under `dir` (symlinks not followed, hard links once). */
function treeSize(dir) {
  let total = 0
  const seen = new Set()
  const walk = (current) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.isFile()) {
        const stats = statSync(full)
        if (seen.has(stats.ino)) continue
        seen.add(stats.ino)
        total += stats.size
      }
    }
  }
  walk(dir)
  return total
}

function mib(bytes) {
  return (bytes / 1024 / 1024).toFixed(1)
}
