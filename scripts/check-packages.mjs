#!/usr/bin/env node
// Checks that every publishable package (packages/*, not private) works when another team
// installs it on its own: packs it and its workspace dependencies with `pnpm pack`, installs the
// tarballs into a scratch project with npm (third-party dependencies from the registry), imports
// every entry point with plain Node (no source condition) and type-checks them against the
// shipped declarations. For @node/filesystem-jail it also installs with pnpm, which runs no
// dependency install scripts by default, and checks that the jail runs on the same backend
// both ways, and the same as in this workspace. Run `pnpm build` first.
//
//   node scripts/check-packages.mjs [--keep] [NAME...]
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

const root = path.resolve(import.meta.dirname, '..')
const JAIL = '@node/filesystem-jail'
// Installs run two at a time: each is mostly waiting on the registry and the disk.
const CONCURRENCY = 2
const REQUIRED_FILES = ['package.json', 'README.md', 'LICENSE']

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'))
const exec = promisify(execFile)

/** The environment without what a parent pnpm or npm run set, so each install is a clean one. */
function cleanEnv() {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(npm_|pnpm_)/i.test(key)),
  )
}

async function run(command, args, cwd) {
  try {
    const { stdout } = await exec(command, args, {
      cwd,
      env: cleanEnv(),
      maxBuffer: 64 << 20,
    })
    return stdout
  } catch (error) {
    const output = `${error.stdout ?? ''}\n${error.stderr ?? ''}`.trim() || error.message
    const tail = output.split('\n').slice(-25).join('\n')
    throw new Error(`\`${command} ${args.join(' ')}\` failed in ${cwd}:\n${tail}`, {
      cause: error,
    })
  }
}

/** Every package under packages/ that is meant to be published, by name. */
function publishablePackages() {
  const found = new Map()
  for (const dir of readdirSync(path.join(root, 'packages'))) {
    const file = path.join(root, 'packages', dir, 'package.json')
    if (!existsSync(file)) continue
    const manifest = readJson(file)
    if (!manifest.private) found.set(manifest.name, { dir: path.dirname(file), manifest })
  }
  return found
}

/** `name` and every workspace package it depends on, directly or not. */
function closureOf(name, packages) {
  const seen = new Set()
  const visit = (current) => {
    if (seen.has(current)) return
    seen.add(current)
    const pkg = packages.get(current)
    if (!pkg) throw new Error(`${current} is not a publishable workspace package`)
    for (const [dep, spec] of Object.entries(pkg.manifest.dependencies ?? {})) {
      if (spec.startsWith('workspace:')) visit(dep)
    }
  }
  visit(name)
  return [...seen]
}

/** The entry points a consumer imports: every `exports` key but ./package.json. */
function entryPoints(manifest) {
  return Object.keys(manifest.exports ?? { '.': null })
    .filter((key) => key !== './package.json')
    .map((key) => (key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`))
}

/** Every file an `exports` condition points at. */
function exportTargets(value) {
  if (typeof value === 'string') return [value.replace(/^\.\//, '')]
  if (value && typeof value === 'object') return Object.values(value).flatMap(exportTargets)
  return []
}

/** `pnpm pack`s one package; its tarball, packed manifest and the problems found in them. */
async function pack(pkg, destination) {
  const stdout = await run('pnpm', ['pack', '--pack-destination', destination, '--json'], pkg.dir)
  // Lifecycle scripts (prepack) may print before the JSON.
  const report = JSON.parse(stdout.slice(stdout.search(/^\{/m)))
  const files = new Set(report.files.map((file) => file.path))
  const manifest = JSON.parse(
    await run('tar', ['-xzOf', report.filename, 'package/package.json'], destination),
  )
  const problems = []
  for (const file of REQUIRED_FILES) {
    if (!files.has(file)) problems.push(`the tarball has no ${file}`)
  }
  for (const target of exportTargets(manifest.exports)) {
    if (!files.has(target)) problems.push(`exports names ${target}, which is not packed`)
  }
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dep, spec] of Object.entries(manifest[field] ?? {})) {
      if (/^(workspace|catalog):/.test(spec)) problems.push(`${field}.${dep} is still ${spec}`)
    }
  }
  return { tarball: report.filename, manifest, problems }
}

/** A scratch project depending on `tarballs` (name → file) and `registry` (name → range). */
async function scratchProject(dir, tarballs, registry, extra = {}) {
  await mkdir(dir, { recursive: true })
  const dependencies = { ...registry }
  for (const [name, file] of Object.entries(tarballs)) dependencies[name] = `file:${file}`
  const manifest = { name: 'scratch', private: true, type: 'module', dependencies, ...extra }
  await writeFile(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  await copyFile(path.join(root, 'scripts', 'package-probe.mjs'), path.join(dir, 'probe.mjs'))
}

async function probe(dir, specifiers, jail) {
  const args = [path.join(dir, 'probe.mjs'), ...(jail ? ['--jail'] : []), ...specifiers]
  const stdout = await run(process.execPath, args, dir)
  return JSON.parse(stdout.trim().split('\n').at(-1))
}

/** Type-checks `specifiers` as a consumer would (nodenext); the errors in our declarations. */
async function typeCheck(dir, specifiers) {
  const imports = specifiers.map((s, i) => `import type * as entry${i} from '${s}'`)
  const names = specifiers.map((_, i) => `entry${i}`)
  await writeFile(
    path.join(dir, 'check-types.ts'),
    `${imports.join('\n')}\nexport type { ${names.join(', ')} }\n`,
  )
  const tsconfig = {
    compilerOptions: {
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2023',
      lib: ['es2023'],
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      types: ['node'],
    },
    files: ['check-types.ts'],
  }
  await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  // tsc prints its errors on stdout and exits non-zero.
  const output = await run(process.execPath, [tsc, '-p', dir], dir).catch(
    (error) => `${error.cause?.stdout ?? ''}\n${error.message}`,
  )
  // Third-party declarations are their authors' business: every error but theirs.
  return output
    .split('\n')
    .filter((line) => / error TS\d+:/.test(line))
    .filter((line) => !line.startsWith('node_modules/') || line.startsWith('node_modules/@node/'))
}

/** Installs `name` and its workspace dependencies with npm; the problems found using it. */
async function checkWithNpm(name, packages, packed, work, expectedJail) {
  const dir = path.join(work, 'npm', name.replace('/', '+'))
  const closure = closureOf(name, packages)
  const tarballs = Object.fromEntries(closure.map((dep) => [dep, packed.get(dep).tarball]))
  // Optional peers too (vitest, for the contract suites of ./testing): a consumer has them.
  const manifest = packed.get(name).manifest
  const typesNode = readJson(path.join(root, 'node_modules', '@types', 'node', 'package.json'))
  const registry = {
    ...manifest.peerDependencies,
    '@types/node': `^${typesNode.version.split('.')[0]}`,
  }
  // npm 11 runs install scripts and warns about unreviewed ones; npm 12 runs only these.
  const allowScripts = closure.includes(JAIL) ? { allowScripts: { [JAIL]: true } } : {}
  await scratchProject(dir, tarballs, registry, allowScripts)
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], dir)

  const problems = []
  const lock = readJson(path.join(dir, 'package-lock.json'))
  for (const [where, entry] of Object.entries(lock.packages ?? {})) {
    if (/(^|\/)node_modules\/@node\//.test(where) && !entry.resolved?.startsWith('file:')) {
      problems.push(`${where} did not come from a packed tarball (${entry.resolved})`)
    }
  }
  const specifiers = entryPoints(manifest)
  const result = await probe(dir, specifiers, name === JAIL)
  for (const [specifier, outcome] of Object.entries(result.entries)) {
    if (outcome.error) problems.push(`import('${specifier}') failed: ${outcome.error}`)
    else if (outcome.exports === 0) problems.push(`import('${specifier}') exports nothing`)
  }
  if (name === JAIL) problems.push(...jailProblems('npm', result.jail, expectedJail, 'build'))
  for (const error of await typeCheck(dir, specifiers)) problems.push(`types: ${error}`)
  return { problems, entries: specifiers, jail: result.jail }
}

/** Installs the jail with pnpm (no install script runs) and checks its backend. */
async function checkJailWithPnpm(packages, packed, work, expectedJail) {
  const dir = path.join(work, 'pnpm', 'filesystem-jail')
  const closure = closureOf(JAIL, packages)
  const tarballs = Object.fromEntries(closure.map((dep) => [dep, packed.get(dep).tarball]))
  await scratchProject(dir, tarballs, {})
  // This project alone (no enclosing workspace), pnpm's default policy on build scripts, and the
  // workspace dependencies of the packed packages taken from their tarballs, not the registry.
  const overrides = Object.entries(tarballs).map(([dep, file]) => `  '${dep}': 'file:${file}'`)
  await writeFile(
    path.join(dir, 'pnpm-workspace.yaml'),
    `packages: []\noverrides:\n${overrides.join('\n')}\n`,
  )
  await run('pnpm', ['install', '--prefer-offline', '--reporter=append-only'], dir)
  const result = await probe(dir, [JAIL], true)
  return jailProblems('pnpm', result.jail, expectedJail, 'prebuilds')
}

/**
 * The jail must run on the workspace's backend; with the addon, loaded from `build/` where the
 * install script ran (npm) and from the packed `prebuilds/` where none runs (pnpm).
 */
function jailProblems(client, jail, expected, addonDir) {
  if (!jail) return [`${client}: the jail was not probed`]
  const problems = []
  const { backend } = jail
  if (backend.mode !== expected.mode) {
    problems.push(
      `${client}: the jail runs in ${backend.mode} mode (${backend.nativeUnavailable}), ` +
        `the workspace in ${expected.mode} mode`,
    )
  } else if (backend.mode === 'openat2' && !backend.addon?.includes(`/${addonDir}/`)) {
    problems.push(`${client}: the addon was loaded from ${backend.addon}, not from ${addonDir}/`)
  }
  if (jail.read !== 'hello' || jail.usage !== 5) {
    problems.push(`${client}: the jail read ${jail.read} and measured ${jail.usage} bytes`)
  }
  return problems
}

/** Runs `fn` over `items`, `limit` at a time, in order of completion. */
async function eachLimited(items, limit, fn) {
  const queue = [...items]
  const worker = async () => {
    while (queue.length > 0) await fn(queue.shift())
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

async function main() {
  const args = process.argv.slice(2)
  const keep = args.includes('--keep')
  const packages = publishablePackages()
  const wanted = args.filter((arg) => !arg.startsWith('--'))
  const names = wanted.length > 0 ? wanted : [...packages.keys()].sort()
  for (const name of names) {
    if (!packages.has(name)) throw new Error(`${name} is not a publishable workspace package`)
    if (!existsSync(path.join(packages.get(name).dir, 'dist'))) {
      throw new Error(`${name} has no dist/: run \`pnpm build\` first`)
    }
  }

  const { probeJailMode } = await import(path.join(packages.get(JAIL).dir, 'dist', 'index.js'))
  const expectedJail = await probeJailMode()
  const work = await mkdtemp(path.join(tmpdir(), 'check-packages-'))
  const failures = []
  try {
    const tarballs = path.join(work, 'tarballs')
    await mkdir(tarballs)
    const needed = [...new Set(names.flatMap((name) => closureOf(name, packages)))].sort()
    const packed = new Map()
    for (const name of needed) {
      const result = await pack(packages.get(name), tarballs)
      packed.set(name, result)
      for (const problem of result.problems) failures.push(`${name}: ${problem}`)
    }

    await eachLimited(names, CONCURRENCY, async (name) => {
      try {
        const result = await checkWithNpm(name, packages, packed, work, expectedJail)
        for (const problem of result.problems) failures.push(`${name}: ${problem}`)
        const jail = result.jail ? `, jail backend ${JSON.stringify(result.jail.backend)}` : ''
        console.log(`${name}: installed with npm, imported ${result.entries.join(', ')}${jail}`)
      } catch (error) {
        failures.push(`${name}: ${error.message}`)
      }
    })
    if (names.includes(JAIL)) {
      const problems = await checkJailWithPnpm(packages, packed, work, expectedJail).catch(
        (error) => [error.message],
      )
      for (const problem of problems) failures.push(`${JAIL}: ${problem}`)
      if (problems.length === 0) console.log(`${JAIL}: installed with pnpm, same backend`)
    }
  } finally {
    if (keep) console.log(`scratch projects kept in ${work}`)
    else await rm(work, { recursive: true, force: true })
  }

  const summary = `${names.length} package(s), jail backend ${expectedJail.mode}`
  if (failures.length > 0) {
    console.error(`check-packages: ${failures.length} problem(s)\n  ${failures.join('\n  ')}`)
    process.exit(1)
  }
  console.log(`check-packages: ok (${summary})`)
}

await main()
