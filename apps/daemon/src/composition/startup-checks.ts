import { readFile } from 'node:fs/promises'

import Docker from 'dockerode'

import { panelConnectionProblems, type PanelConnection } from '@node/panel-client'
import { nullLogger } from '@node/shared-kernel'

import type { DaemonConfig } from '../config/schema.js'
import { createNodeEnvironment } from './environment-factory.js'
import { resolveTimezone, SYSTEM_USERNAME } from './node-identity.js'

const CONFIG_KEYS: Readonly<Record<keyof PanelConnection, string>> = {
  baseUrl: 'remote',
  tokenId: 'token_id',
  token: 'token',
}

/**
 * Everything in a loaded configuration that would stop the daemon half-way through its start,
 * found before it creates a directory, a user or a network: one line per problem, naming the key
 * and what it needs. Empty when the daemon can start. Reads the TLS files; changes nothing.
 */
export async function startupProblems(config: DaemonConfig): Promise<string[]> {
  if (config.remote === '' && config.token_id === '' && config.token === '') {
    return [
      'it sets no Panel connection (remote, token_id, token): copy the configuration from the ' +
        "node's Configuration tab in the Panel, or run `wings configure`",
    ]
  }
  const problems = panelConnectionProblems({
    baseUrl: config.remote,
    tokenId: config.token_id,
    token: config.token,
  }).map(({ field, problem }) => `${CONFIG_KEYS[field]}: ${problem}`)
  await resolveTimezone(config.system.timezone).catch((err: unknown) => {
    problems.push((err as Error).message)
  })
  if (!config.system.user.rootless.enabled && !SYSTEM_USERNAME.test(config.system.username)) {
    problems.push(`system.username: "${config.system.username}" is not a valid user name`)
  }
  try {
    // Its options come from the docker section (and system.data); building it touches nothing.
    const docker = config.system.environment === 'docker' ? new Docker() : undefined
    createNodeEnvironment(config, docker, nullLogger)
  } catch (err) {
    problems.push(`docker: ${(err as Error).message}`)
  }
  if (config.api.ssl.enabled) {
    for (const key of ['cert', 'key'] as const) {
      const problem = await pemFileProblem(config.api.ssl[key])
      if (problem) problems.push(`api.ssl.${key}: ${problem}`)
    }
  }
  return problems
}

async function pemFileProblem(file: string): Promise<string | undefined> {
  if (file === '') return 'must name a PEM file when api.ssl.enabled is true'
  try {
    await readFile(file)
    return undefined
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message
    return `cannot read "${file}" (${code})`
  }
}
