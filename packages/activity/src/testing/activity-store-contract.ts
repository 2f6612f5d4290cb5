import { describe, expect, it } from 'vitest'

import type { NewActivity } from '../activity.js'
import type { ActivityLimits, ActivityStore } from '../ports/activity-store.js'

const SERVER_A = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'
const SERVER_B = '6f1f2c1e-8f7a-4f5e-9c3b-2a1d0e9f8c7b'
const USER = '0f8fad5b-d9cb-469f-a165-70867728950e'
const ROOMY: ActivityLimits = { maxRows: 1000, maxRowsPerServer: 1000 }

function activity(overrides: Partial<NewActivity> = {}): NewActivity {
  return {
    event: 'server:console.command',
    server: SERVER_A,
    user: USER,
    ip: '203.0.113.7',
    metadata: { command: 'say hi' },
    timestamp: Date.UTC(2024, 2, 17, 20, 58, 30, 123),
    ...overrides,
  }
}

/** Behaviour every ActivityStore must show; each adapter runs it against its real backend. */
export function describeActivityStoreContract(
  name: string,
  makeStore: () => Promise<ActivityStore>,
): void {
  describe(`${name} (ActivityStore contract)`, () => {
    it('gives back what it stored, oldest first, with ids that page through it', async () => {
      const store = await makeStore()
      await store.append(activity({ metadata: { command: 'one' } }), ROOMY)
      await store.append(activity({ user: null, metadata: { command: 'two' } }), ROOMY)

      const [first, second] = await store.read('other', 0, 10)

      expect(first).toMatchObject(activity({ metadata: { command: 'one' } }))
      expect(second).toMatchObject({ user: null, metadata: { command: 'two' } })
      expect(await store.read('other', first?.id ?? 0, 10)).toEqual([second])
      await store.close()
    })

    it('keeps SFTP events apart from the others', async () => {
      const store = await makeStore()
      await store.append(activity(), ROOMY)
      await store.append(
        activity({ event: 'server:sftp.write', metadata: { files: ['/a'] } }),
        ROOMY,
      )

      expect((await store.read('sftp', 0, 10)).map((r) => r.event)).toEqual(['server:sftp.write'])
      expect((await store.read('other', 0, 10)).map((r) => r.event)).toEqual([
        'server:console.command',
      ])
      await store.close()
    })

    it('reads at most the limit', async () => {
      const store = await makeStore()
      for (let i = 0; i < 5; i++) await store.append(activity(), ROOMY)

      expect(await store.read('other', 0, 3)).toHaveLength(3)
      await store.close()
    })

    it('removes the rows named, ignoring unknown ids', async () => {
      const store = await makeStore()
      await store.append(activity(), ROOMY)
      await store.append(activity(), ROOMY)
      const [first, second] = await store.read('other', 0, 10)

      await store.remove([first?.id ?? 0, 999_999])

      expect(await store.read('other', 0, 10)).toEqual([second])
      expect(await store.count()).toBe(1)
      await store.close()
    })

    it('refuses a row past the node-wide limit or the limit of its server', async () => {
      const store = await makeStore()
      const limits: ActivityLimits = { maxRows: 3, maxRowsPerServer: 2 }

      const results = [
        await store.append(activity(), limits),
        await store.append(activity(), limits),
        await store.append(activity(), limits),
        await store.append(activity({ server: SERVER_B }), limits),
        await store.append(activity({ server: SERVER_B }), limits),
      ]

      expect(results).toEqual([true, true, false, true, false])
      expect(await store.count()).toBe(3)
      expect(await store.count(SERVER_A)).toBe(2)
      await store.close()
    })

    it('takes rows again once removed ones made room', async () => {
      const store = await makeStore()
      const limits: ActivityLimits = { maxRows: 1, maxRowsPerServer: 1 }
      await store.append(activity(), limits)
      const [row] = await store.read('other', 0, 1)

      await store.remove([row?.id ?? 0])

      expect(await store.append(activity(), limits)).toBe(true)
      await store.close()
    })
  })
}
