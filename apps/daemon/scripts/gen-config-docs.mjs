#!/usr/bin/env node
// Writes docs/configuration.md from apps/daemon/src/config/schema.ts (no build needed: Node strips
// the TypeScript types; the hook below maps the sources' `.js` import specifiers to `.ts` files).
// `--check` exits 1 instead of writing when the committed file is stale.
import { readFile, writeFile } from 'node:fs/promises'
import { register } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const hook = `
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context)
  } catch (err) {
    if (err?.code === 'ERR_MODULE_NOT_FOUND' && specifier.startsWith('.') && specifier.endsWith('.js')) {
      return next(specifier.slice(0, -3) + '.ts', context)
    }
    throw err
  }
}`
register(`data:text/javascript,${encodeURIComponent(hook)}`, import.meta.url)

const root = path.resolve(import.meta.dirname, '../../..')
const target = path.join(root, 'docs/configuration.md')
const source = path.join(import.meta.dirname, '../src/config/render-config-docs.ts')
const { renderConfigDocs } = await import(pathToFileURL(source).href)
const text = renderConfigDocs()

if (process.argv.includes('--check')) {
  const current = await readFile(target, 'utf8').catch(() => '')
  if (current !== text) {
    console.error('docs/configuration.md is out of date: run pnpm -F @node/daemon gen:config-docs')
    process.exit(1)
  }
} else {
  await writeFile(target, text)
  console.log(`wrote ${path.relative(root, target)}`)
}
