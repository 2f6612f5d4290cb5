#!/usr/bin/env node
// Lints what each publishable package (packages/*, not private) would publish: publint on the
// files `pnpm pack` selects (exports, types, files, module format; warnings and suggestions
// fail too), and the package's LICENSE is the repository's. The install-and-import check is
// scripts/check-packages.mjs (slower: it runs in the integration tests).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

import { publint } from 'publint'
import { formatMessage } from 'publint/utils'

const root = path.resolve(import.meta.dirname, '..')
// Each run spawns `pnpm pack`; a few at a time keep lint fast on two cores.
const CONCURRENCY = 4

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'))
const license = readFileSync(path.join(root, 'LICENSE'), 'utf8')

const packages = readdirSync(path.join(root, 'packages'))
  .map((name) => path.join(root, 'packages', name))
  .filter((dir) => existsSync(path.join(dir, 'package.json')))
  .filter((dir) => !readJson(path.join(dir, 'package.json')).private)

async function lint(dir) {
  const where = path.relative(root, dir)
  const problems = []
  const licenseFile = path.join(dir, 'LICENSE')
  if (!existsSync(licenseFile)) problems.push(`${where}: no LICENSE (copy the root LICENSE)`)
  else if (readFileSync(licenseFile, 'utf8') !== license) {
    problems.push(`${where}: LICENSE differs from the root LICENSE`)
  }
  const { messages, pkg } = await publint({ pkgDir: dir, pack: 'pnpm', strict: true })
  for (const message of messages) {
    const text = formatMessage(message, pkg, { color: false }) ?? message.code
    problems.push(`${where}: publint ${message.type}: ${text}`)
  }
  return problems
}

const problems = []
const queue = [...packages]
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (queue.length > 0) problems.push(...(await lint(queue.shift())))
  }),
)

if (problems.length > 0) {
  console.error(`lint-packages: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`)
  process.exit(1)
}
console.log(`lint-packages: ok (${packages.length} packages, publint)`)
