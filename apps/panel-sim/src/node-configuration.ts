import type { NodeRecord } from './records.js'

/** The node configuration the Panel generates (panel-contract.md D), in its JSON form. */
export interface NodeConfiguration {
  readonly debug: false
  readonly uuid: string
  readonly token_id: string
  readonly token: string
  readonly api: {
    readonly host: '0.0.0.0'
    readonly port: number
    readonly ssl: { readonly enabled: boolean; readonly cert: string; readonly key: string }
    readonly upload_limit: number
  }
  readonly system: { readonly data: string; readonly sftp: { readonly bind_port: number } }
  readonly allowed_mounts: readonly string[]
  readonly remote: string
}

/** `Node::getConfiguration()`; `panelRoot` is the Panel's root URL (APP_URL without a trailing slash). */
export function nodeConfiguration(node: NodeRecord, panelRoot: string): NodeConfiguration {
  const host = node.fqdn.toLowerCase()
  return {
    debug: false,
    uuid: node.uuid,
    token_id: node.daemonTokenId,
    token: node.daemonToken,
    api: {
      host: '0.0.0.0',
      port: node.daemonListen,
      ssl: {
        enabled: node.scheme === 'https' && !node.behindProxy,
        cert: `/etc/letsencrypt/live/${host}/fullchain.pem`,
        key: `/etc/letsencrypt/live/${host}/privkey.pem`,
      },
      upload_limit: node.uploadSize,
    },
    system: { data: node.daemonBase, sftp: { bind_port: node.daemonSftp } },
    allowed_mounts: [...node.mounts],
    remote: panelRoot.replace(/\/+$/, ''),
  }
}

/** The YAML form shown on the admin node page (symfony/yaml style: indent 2, `[]` for empty lists). */
export function nodeConfigurationYaml(config: NodeConfiguration): string {
  const lines: string[] = []
  const write = (value: unknown, indent: string): void => {
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (Array.isArray(v)) {
        if (v.length === 0) lines.push(`${indent}${key}: []`)
        else {
          lines.push(`${indent}${key}:`)
          for (const item of v) lines.push(`${indent}  - ${scalar(item)}`)
        }
      } else if (typeof v === 'object' && v !== null) {
        lines.push(`${indent}${key}:`)
        write(v, `${indent}  `)
      } else {
        lines.push(`${indent}${key}: ${scalar(v)}`)
      }
    }
  }
  write(config, '')
  return `${lines.join('\n')}\n`
}

function scalar(value: unknown): string {
  if (typeof value !== 'string') return String(value)
  // Plain when unambiguous; otherwise single-quoted as symfony/yaml does.
  const plain =
    /^[A-Za-z0-9_./-][A-Za-z0-9_./ -]*$/.test(value) &&
    !/^(true|false|null|~|yes|no|on|off|[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?)$/i.test(value)
  return plain ? value : `'${value.replaceAll("'", "''")}'`
}
