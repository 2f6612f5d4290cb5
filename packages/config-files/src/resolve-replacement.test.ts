import type { ConfigReplacement } from '@node/server-state'
import { MemoryLogger } from '@node/shared-kernel/testing'
import { describe, expect, it } from 'vitest'
import { configValueResolverFrom, resolveReplacement, toSnakeCase } from './resolve-replacement.js'

const daemonConfig = {
  app_name: 'Pterodactyl',
  token_id: 'abc',
  token: 'secret',
  docker: {
    network: { interface: '172.18.0.1' },
    tmpfs_size: 100,
    domainname: null,
  },
}
const resolver = configValueResolverFrom(daemonConfig)

function replacement(replaceWith: unknown, ifValue?: string): ConfigReplacement {
  return { match: 'servers.*.address', ifValue, replaceWith }
}

describe('resolveReplacement', () => {
  it('substitutes the docker interface in the BungeeCord placeholder', () => {
    const logger = new MemoryLogger()
    const resolved = resolveReplacement(
      replacement('{{config.docker.network.interface}}$2'),
      resolver,
      logger,
    )
    expect(resolved.value).toBe('172.18.0.1$2')
    expect(resolved.rawValue).toBe('{{config.docker.network.interface}}$2')
    expect(logger.records).toEqual([])
  })

  it('answers the legacy docker.interface spelling with the network interface', () => {
    const resolved = resolveReplacement(
      replacement('{{config.docker.interface}}'),
      resolver,
      new MemoryLogger(),
    )
    expect(resolved.value).toBe('172.18.0.1')
  })

  it('accepts one blank inside the braces', () => {
    const resolved = resolveReplacement(
      replacement('{{ config.docker.network.interface }}:25565'),
      resolver,
      new MemoryLogger(),
    )
    expect(resolved.value).toBe('172.18.0.1:25565')
  })

  it('replaces every placeholder with the value of the first one, as the reference does', () => {
    const resolved = resolveReplacement(
      replacement('{{config.docker.network.interface}}-{{config.app_name}}'),
      resolver,
      new MemoryLogger(),
    )
    expect(resolved.value).toBe('172.18.0.1-172.18.0.1')
  })

  it('converts segments to snake_case and prints numbers and null as the reference does', () => {
    expect(
      resolveReplacement(replacement('{{config.docker.tmpfsSize}}'), resolver, new MemoryLogger())
        .value,
    ).toBe('100')
    expect(
      resolveReplacement(replacement('{{config.docker.domainname}}'), resolver, new MemoryLogger())
        .value,
    ).toBe('<nil>')
  })

  it('turns the whole value into an empty string when the key is missing, and warns', () => {
    const logger = new MemoryLogger()
    const resolved = resolveReplacement(
      replacement('{{config.docker.nope}}:25565'),
      resolver,
      logger,
    )
    expect(resolved.value).toBe('')
    expect(logger.records[0]?.level).toBe('warn')
  })

  it('refuses the node credentials', () => {
    for (const key of ['token', 'token_id', 'tokenId']) {
      const logger = new MemoryLogger()
      const resolved = resolveReplacement(replacement(`{{config.${key}}}`), resolver, logger)
      expect(resolved.value).toBe('')
      expect(logger.records[0]?.message).toContain('credential')
    }
  })

  it('writes non-string values as their JSON text and remembers booleans', () => {
    const logger = new MemoryLogger()
    expect(resolveReplacement(replacement(25565), resolver, logger)).toMatchObject({
      value: '25565',
      isBoolean: false,
    })
    expect(resolveReplacement(replacement(true), resolver, logger)).toMatchObject({
      value: 'true',
      isBoolean: true,
    })
    expect(resolveReplacement(replacement(null), resolver, logger).value).toBe('<nil>')
    expect(logger.records).toEqual([])
    expect(resolveReplacement(replacement({ a: 1 }), resolver, logger).value).toBe('<invalid>')
    expect(logger.records).toHaveLength(1)
  })

  it('leaves strings without a config placeholder alone (the Panel resolved the rest)', () => {
    const resolved = resolveReplacement(
      replacement('{{server.build.default.port}}'),
      resolver,
      new MemoryLogger(),
    )
    expect(resolved.value).toBe('{{server.build.default.port}}')
  })

  it('treats an empty if_value as none', () => {
    expect(resolveReplacement(replacement('x', ''), resolver, new MemoryLogger()).ifValue).toBe(
      undefined,
    )
    expect(resolveReplacement(replacement('x', 'y'), resolver, new MemoryLogger()).ifValue).toBe(
      'y',
    )
  })
})

describe('toSnakeCase', () => {
  it('follows the reference conversion', () => {
    expect(toSnakeCase('tmpfsSize')).toBe('tmpfs_size')
    expect(toSnakeCase('TmpfsSize')).toBe('tmpfs_size')
    expect(toSnakeCase('container_pid_limit')).toBe('container_pid_limit')
    expect(toSnakeCase('app-name')).toBe('app_name')
    expect(toSnakeCase('IPv6')).toBe('i_pv6')
  })
})

describe('configValueResolverFrom', () => {
  it('walks objects only', () => {
    expect(resolver.lookup(['docker', 'network', 'interface'])).toBe('172.18.0.1')
    expect(resolver.lookup(['docker', 'missing'])).toBe(undefined)
    expect(resolver.lookup(['app_name', 'length'])).toBe(undefined)
    expect(resolver.lookup(['constructor'])).toBe(undefined)
  })
})
