import { readFile } from 'node:fs/promises'

import { describe, expect, it } from 'vitest'

import { settingEntries } from './config-tree.js'
import { renderConfigDocs } from './render-config-docs.js'
import { WINGS_CONFIGURATION, type GoStruct } from './wings-json-fields.js'

describe('docs/configuration.md', () => {
  it('is up to date with the schema (regenerate with pnpm -F @node/daemon gen:config-docs)', async () => {
    const committed = await readFile(
      new URL('../../../../docs/configuration.md', import.meta.url),
      'utf8',
    )

    expect(committed).toBe(renderConfigDocs())
  })

  it('documents every setting', () => {
    const docs = renderConfigDocs()

    for (const { key, setting } of settingEntries()) {
      expect(setting.doc.length, key).toBeGreaterThan(10)
      expect(docs).toContain(`| \`${key}\` |`)
    }
  })
})

describe('the schema and Wings’ Go struct table', () => {
  it('describe the same keys, apart from this daemon’s own and Pelican’s', () => {
    const goKeys: string[] = []
    const walk = (type: GoStruct, prefix: string): void => {
      for (const field of type.fields) {
        const key = prefix + field.yaml
        if (typeof field.type === 'object' && 'fields' in field.type) walk(field.type, `${key}.`)
        else goKeys.push(key)
      }
    }
    walk(WINGS_CONFIGURATION, '')

    const wingsKeys = settingEntries()
      .filter((e) => e.setting.extension !== true && e.setting.pelican !== true)
      .map((e) => e.key)
    expect(goKeys.sort()).toEqual(wingsKeys.sort())
  })
})
