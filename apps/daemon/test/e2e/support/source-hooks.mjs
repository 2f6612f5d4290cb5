// Lets `node --import ./source-hooks.mjs` run the TypeScript sources directly: Node strips the
// types, and this hook maps the `.js` specifiers of relative imports to the `.ts` file beside
// them (the sources import `./x.js`, as NodeNext requires). Used by the e2e tests only.
import { existsSync } from 'node:fs'
import { registerHooks } from 'node:module'
import { fileURLToPath } from 'node:url'

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier.endsWith('.js') && (specifier.startsWith('.') || specifier.startsWith('file:'))) {
      const url = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL)
      if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) {
        return nextResolve(url.href, context)
      }
    }
    return nextResolve(specifier, context)
  },
})
