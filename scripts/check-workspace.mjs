#!/usr/bin/env node
// Checks what the compiler and ESLint do not: every package's tsconfig references mirror its
// @node/* dependencies, every workspace package is in the solution tsconfig, and core packages
// declare no adapter, app or framework dependency (ARCHITECTURE.md, the dependency rule).
import { readdirSync, readFileSync, existsSync } from 'node:fs'
import path from 'node:path'

import {
  ADAPTERS,
  CORE_PACKAGES,
  FRAMEWORKS,
  matchesAny,
  TEST_INFRASTRUCTURE,
} from './workspace-rules.mjs'

const root = path.resolve(import.meta.dirname, '..')
const CORE = new Set(CORE_PACKAGES)
const forbiddenInCore = (dep) =>
  matchesAny(dep, FRAMEWORKS) || matchesAny(dep, ADAPTERS) || matchesAny(dep, TEST_INFRASTRUCTURE)

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'))
const problems = []
const solution = readJson(path.join(root, 'tsconfig.json'))
const solutionRefs = new Set(solution.references.map((r) => path.normalize(r.path)))

for (const group of ['packages', 'apps']) {
  const dir = path.join(root, group)
  if (!existsSync(dir)) continue
  for (const name of readdirSync(dir)) {
    const pkgDir = path.join(dir, name)
    if (!existsSync(path.join(pkgDir, 'package.json'))) continue
    const pkg = readJson(path.join(pkgDir, 'package.json'))
    const where = `${group}/${name}`
    const deps = Object.keys({
      ...pkg.dependencies,
      ...pkg.optionalDependencies,
      ...pkg.peerDependencies,
    })
    const nodeDeps = deps.filter((d) => d.startsWith('@node/'))
    const tsconfigFile = path.join(pkgDir, 'tsconfig.json')
    if (!existsSync(tsconfigFile)) {
      problems.push(`${where}: no tsconfig.json`)
      continue
    }
    if (!solutionRefs.has(path.normalize(where))) {
      problems.push(`${where}: missing from the references of the root tsconfig.json`)
    }
    const refs = (readJson(tsconfigFile).references ?? []).map((r) =>
      path.basename(path.resolve(pkgDir, r.path)),
    )
    for (const dep of nodeDeps) {
      const depName = dep.slice('@node/'.length)
      if (!refs.includes(depName)) problems.push(`${where}: depends on ${dep} but has no reference`)
    }
    for (const ref of refs) {
      if (!nodeDeps.includes(`@node/${ref}`)) {
        problems.push(`${where}: references ${ref} but does not depend on @node/${ref}`)
      }
    }
    if (group === 'packages' && CORE.has(name)) {
      for (const dep of deps) {
        if (forbiddenInCore(dep)) {
          problems.push(
            `${where}: core package depends on ${dep} (ARCHITECTURE.md dependency rule)`,
          )
        }
      }
    }
  }
}

if (problems.length > 0) {
  console.error(`check-workspace: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`)
  process.exit(1)
}
console.log('check-workspace: ok')
