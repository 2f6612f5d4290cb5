import { randomUUID } from 'node:crypto'

import type { ServerFixture } from './fixture.js'

/**
 * `count` server fixtures for tests that need many servers (pagination, boot with 120 servers).
 * Each gets a fresh uuid and the name `<namePrefix> <n>`; ports are assigned by the simulator unless
 * the template sets `allocations` (then every server would share them, which the simulator refuses).
 */
export function makeServers(
  count: number,
  template: Omit<ServerFixture, 'id' | 'uuid'> & { readonly namePrefix?: string } = {},
): ServerFixture[] {
  if (!Number.isInteger(count) || count < 0)
    throw new RangeError('count must be a non-negative integer')
  const { namePrefix = 'Server', ...rest } = template
  return Array.from({ length: count }, (_, i) => ({
    ...rest,
    uuid: randomUUID(),
    name: `${namePrefix} ${i + 1}`,
  }))
}
