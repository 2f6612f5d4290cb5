import { settingEntries, type SettingEntry } from './config-tree.js'
import { DEFAULT_CONFIG_PATH } from './schema.js'
import {
  isApiProtectedKey,
  WINGS_CONFIGURATION,
  type GoStruct,
  type GoType,
} from './wings-json-fields.js'

/** Top-level sections in the order of the file; leaves at the top come first. */
const SECTION_TITLES: Readonly<Record<string, string>> = {
  '': 'Top level',
  api: '`api`: the HTTP API',
  system: '`system`: directories, users, SFTP, crash detection, backups',
  docker: '`docker`: containers and their network',
  throttles: '`throttles`: console output',
  remote_query: '`remote_query`: requests to the Panel',
  Search: '`Search`: the file search (Pelican)',
  metrics: '`metrics`: the Prometheus endpoint (this daemon)',
}

/**
 * docs/configuration.md, generated from the schema's `doc` fields and Wings' JSON field table.
 * `apps/daemon/scripts/gen-config-docs.mjs` writes it; a unit test fails when it is stale.
 */
export function renderConfigDocs(): string {
  const panelNames = panelJsonNames()
  const sections = new Map<string, SettingEntry[]>()
  for (const entry of settingEntries()) {
    const section = entry.path.length === 1 ? '' : (entry.path[0] ?? '')
    sections.set(section, [...(sections.get(section) ?? []), entry])
  }
  const out: string[] = [
    '# Configuration (`config.yml`)',
    '',
    '<!-- Generated from apps/daemon/src/config/schema.ts by apps/daemon/scripts/gen-config-docs.mjs. Do not edit by hand. -->',
    '',
    `The daemon reads one YAML file, \`${DEFAULT_CONFIG_PATH}\` unless \`--config PATH\` says otherwise`,
    "(a relative path is taken from the working directory). Its keys, nesting and defaults are Wings'",
    '(pterodactyl/wings 1.11), so an existing Wings `config.yml`, or the one the Panel shows on a',
    "node's Configuration tab, works unchanged.",
    '',
    '- **Reading.** YAML 1.1, as Wings reads it: `yes`/`no`/`on`/`off` are booleans and `0755` is octal.',
    '  A string setting keeps the text as written (`token_id: 0123` is the string `"0123"`).',
    '  A key written without a value, or missing, takes its default.',
    '- **Unknown keys** (settings of Wings forks, keys of newer versions) are kept and written back',
    '  unchanged; the daemon lists them at start-up.',
    '- **Bad values stop start-up** with one line per key naming the expected form, e.g.',
    '  `api.port: must be a port number between 0 and 65535: value was "eighty"`. Secret values are',
    '  never printed. The whole file is checked before the daemon changes anything: `remote`,',
    '  `token_id` and `token` must be set, the `system` directories absolute, the time zone known and',
    '  the TLS files readable. Exit codes: [operations.md](operations.md).',
    '- **Environment variables** (column *Env*) override the file. A value taken from the environment',
    '  is not written to the file when the daemon rewrites it.',
    '- **Rewrites.** The daemon rewrites the file (mode 0600, atomically) at start-up and when the',
    '  Panel pushes a node configuration with `POST /api/update`; comments are lost, as with Wings.',
    '- **Panel updates.** Column *Panel* gives the JSON name under which `POST /api/update` (and',
    '  `wings configure`) can set a key, matched as Go matches JSON names: exactly, else ignoring case.',
    '  `—` means the Panel cannot change it. Names marked *(configure only)* (`remote`, `system.data`,',
    '  `system.*_directory`: where data lives and where the credentials go) are taken by',
    '  `wings configure` only; `POST /api/update` ignores them and logs a warning naming them.',
    '  When the posted `api.ssl.key` starts with `/etc/letsencrypt/live/`, the node keeps its own',
    '  certificate paths; nothing changes while `ignore_panel_config_updates` is true.',
    '- Keys marked **(this daemon)** are not in Wings; Wings ignores them.',
    "- Keys marked **(Pelican)** are Pelican's Wings' own; the Pterodactyl one ignores them.",
    '',
  ]
  for (const [section, entries] of sections) {
    out.push(`## ${SECTION_TITLES[section] ?? `\`${section}\``}`, '')
    out.push('| Key | Type | Default | Env | Panel | Description |')
    out.push('|---|---|---|---|---|---|')
    for (const { key, setting } of entries) {
      const name = panelNames.get(key)
      const panel =
        name === undefined ? '—' : `\`${name}\`${isApiProtectedKey(key) ? ' (configure only)' : ''}`
      const description =
        (setting.extension ? '**(this daemon)** ' : '') +
        (setting.pelican ? '**(Pelican)** ' : '') +
        setting.doc +
        (setting.sensitive ? ' Secret: masked in logs and diagnostics.' : '')
      out.push(
        `| \`${key}\` | ${cell(setting.type)} | ${cell(formatDefault(setting.default))} | ${setting.env ? `\`${setting.env}\`` : ''} | ${panel} | ${cell(description)} |`,
      )
    }
    out.push('')
  }
  return out.join('\n')
}

/** Dotted YAML key → dotted JSON path the Panel can bind (absent when not bindable). */
function panelJsonNames(): Map<string, string> {
  const names = new Map<string, string>()
  const walk = (
    type: GoStruct,
    yamlPrefix: readonly string[],
    jsonPrefix: readonly string[],
  ): void => {
    for (const field of type.fields) {
      if (field.json === null) continue
      const yamlPath = [...yamlPrefix, field.yaml]
      const jsonPath = [...jsonPrefix, field.json]
      if (isStruct(field.type)) walk(field.type, yamlPath, jsonPath)
      else names.set(yamlPath.join('.'), jsonPath.join('.'))
    }
  }
  walk(WINGS_CONFIGURATION, [], [])
  return names
}

function isStruct(type: GoType): type is GoStruct {
  return typeof type === 'object' && 'fields' in type
}

function formatDefault(value: unknown): string {
  if (value === '') return '`""`'
  if (typeof value === 'string') return `\`${value}\``
  if (Array.isArray(value)) return value.length === 0 ? '`[]`' : `\`[${value.join(', ')}]\``
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
    if (entries.length === 0) return '`{}`'
    return entries.map(([k, v]) => `\`${k}: ${String(v)}\``).join('<br>')
  }
  return `\`${String(value)}\``
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ')
}
