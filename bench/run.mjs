// `pnpm bench <name> [args]`: runs bench/<name>/run.ts on the TypeScript sources (no build),
// with the same loader the e2e tests use. Benchmarks are never part of the test suite.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const [name, ...args] = process.argv.slice(2)
const available = readdirSync(new URL('.', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(new URL(`${d.name}/run.ts`, import.meta.url)))
  .map((d) => d.name)
if (!name || !available.includes(name)) {
  console.error(`usage: pnpm bench <${available.join('|')}> [args]`)
  process.exit(2)
}
const result = spawnSync(
  process.execPath,
  [
    '--conditions=@node/source',
    '--import',
    `${root}apps/daemon/test/e2e/support/source-hooks.mjs`,
    `${root}bench/${name}/run.ts`,
    ...args,
  ],
  { stdio: 'inherit', cwd: root },
)
process.exit(result.status ?? 1)
