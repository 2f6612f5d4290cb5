import { randomUUID } from 'node:crypto'
import { getEventListeners } from 'node:events'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { Server, type EnvironmentFactory } from '@node/server-state'
import { buildServerConfiguration, InMemoryPanelGateway } from '@node/server-state/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { INSTALL_MESSAGES, Installer } from '@node/installer'

/** Settings for a handle on a server's installer runtime (only its existence is asked). */
function installerSettingsOf() {
  return {
    image: 'unused',
    entrypoint: 'sh',
    scriptDirectory: tmpdir(),
    variables: [],
    limits: buildServerConfiguration(randomUUID()).settings.build,
  }
}

export interface InstallerSuiteHooks {
  readonly image: string
  /** Where the script finds the server's files (`/mnt/server` in a container). */
  readonly serverDirectory: string
  /** The node's data directory the factory uses (each server's root is `<data>/<uuid>`). */
  readonly dataDirectory: () => string
  readonly factory: () => EnvironmentFactory
  /** Makes the server's root as the daemon would. */
  prepareRoot(uuid: string): Promise<void>
}

/** Install and reinstall against a real runtime (behaviour §5). */
export function describeInstallerSuite(name: string, hooks: InstallerSuiteHooks): void {
  describe(`${name}: installer`, { timeout: 60_000 }, () => {
    let work: string

    beforeAll(async () => {
      work = await mkdtemp(path.join(tmpdir(), 'ndtest-installer-'))
    })
    afterAll(async () => {
      await rm(work, { recursive: true, force: true })
    })

    async function setup(script: string, overrides: { skipEggScripts?: boolean } = {}) {
      const uuid = randomUUID()
      const base = buildServerConfiguration(uuid)
      const configuration = {
        ...base,
        settings: {
          ...base.settings,
          skipEggScripts: overrides.skipEggScripts ?? false,
          environment: { ...base.settings.environment, GREETING: 'hello <world>' },
        },
      }
      await hooks.prepareRoot(uuid)
      const panel = new InMemoryPanelGateway([configuration])
      panel.setInstallationScript(uuid, { containerImage: hooks.image, entrypoint: 'sh', script })
      const server = new Server({ configuration })
      const events: string[] = []
      server.events.subscribeAll((event) => {
        if (event.name !== 'status' && event.name !== 'stats') {
          events.push(
            typeof event.payload === 'string' ? `${event.name}: ${event.payload}` : event.name,
          )
        }
      })
      const installer = new Installer({
        factory: hooks.factory(),
        panel,
        tmpDirectory: path.join(work, 'tmp'),
        logDirectory: path.join(work, 'logs', 'install'),
        timezone: () => 'UTC',
      })
      return { uuid, server, panel, installer, events }
    }

    it('runs the script on the server files, streams and logs its output, reports success', async () => {
      const dir = hooks.serverDirectory
      const { uuid, server, panel, installer, events } = await setup(
        `echo "installing for $GREETING"\r\necho made > ${dir}/installed.txt\r\necho "done installing"\r\n`,
      )

      const flags: boolean[] = []
      server.events.subscribe('install started', () => flags.push(server.isInstalling))
      const successful = await installer.install(server, { reinstall: false })

      expect(successful).toBe(true)
      expect(flags).toEqual([true])
      expect(server.isInstalling).toBe(false)
      expect(await readFile(path.join(hooks.dataDirectory(), uuid, 'installed.txt'), 'utf8')).toBe(
        'made\n',
      )
      // The start notice races the first output line, so order is checked around it.
      expect(events.filter((e) => !e.startsWith('daemon message'))).toEqual([
        'install started',
        'install output: installing for hello <world>',
        'install output: done installing',
        'install completed',
      ])
      expect(events.at(-2)).toBe(`daemon message: ${INSTALL_MESSAGES.completed}`)
      expect(events).toContain(`daemon message: ${INSTALL_MESSAGES.started}`)
      expect(panel.installationStatuses).toEqual([
        { uuid, status: { successful: true, reinstall: false } },
      ])
      const logFile = path.join(work, 'logs', 'install', `${uuid}.log`)
      const log = await readFile(logFile, 'utf8')
      expect(log).toContain(`  Server UUID:          ${uuid}\n`)
      expect(log).toContain('  GREETING=hello &lt;world&gt;\n')
      expect(
        log.endsWith(
          '| Script Output\n| ------------------------------\ninstalling for hello <world>\ndone installing\n' +
            '\n|\n| Script Exit Code\n| ------------------------------\n  0\n',
        ),
      ).toBe(true)
      expect((await stat(logFile)).mode & 0o777).toBe(0o600)
      await expect(stat(path.join(work, 'tmp', uuid))).rejects.toThrow('ENOENT')
    })

    it('reports a script that exits non-zero as unsuccessful, with its exit code in the log', async () => {
      const { uuid, server, panel, installer, events } = await setup(
        'echo "about to fail"\nexit 3\n',
      )

      expect(await installer.install(server, { reinstall: false })).toBe(false)

      expect(panel.installationStatuses).toEqual([
        { uuid, status: { successful: false, reinstall: false } },
      ])
      expect(events.at(-1)).toBe('install completed')
      const log = await readFile(path.join(work, 'logs', 'install', `${uuid}.log`), 'utf8')
      expect(
        log.endsWith(
          'about to fail\n\n|\n| Script Exit Code\n| ------------------------------\n  3\n',
        ),
      ).toBe(true)
    })

    it.each([0, 20, 100, 300])(
      'ends quietly when the server is deleted %i ms into the install, leaving no runtime',
      async (delayMs) => {
        const { uuid, server, panel, installer } = await setup('echo started\nsleep 5\n')
        const unhandled: unknown[] = []
        const onUnhandled = (reason: unknown) => unhandled.push(reason)
        process.on('unhandledRejection', onUnhandled)
        try {
          const installing = installer.install(server, { reinstall: false })
          await new Promise((resolve) => setTimeout(resolve, delayMs))

          server.cancel()

          expect(await installing).toBe(false)
          // Let any stray rejection surface before looking.
          await new Promise((resolve) => setTimeout(resolve, 50))
          expect(unhandled).toEqual([])
          expect(await hooks.factory().forInstaller(uuid, installerSettingsOf()).exists()).toBe(
            false,
          )
          // A deleted server has nobody to report to.
          expect(panel.installationStatuses).toEqual([])
        } finally {
          process.off('unhandledRejection', onUnhandled)
        }
      },
    )

    it('leaves no listener on the server behind, however often it reinstalls', async () => {
      const { server, installer } = await setup('echo again\n')
      const before = getEventListeners(server.signal, 'abort').length

      await installer.install(server, { reinstall: false })
      await installer.install(server, { reinstall: true })

      expect(getEventListeners(server.signal, 'abort')).toHaveLength(before)
    })

    it('refuses a second install while one runs', async () => {
      const { server, installer } = await setup('sleep 1\n')

      const first = installer.install(server, { reinstall: true })
      const second = installer.install(server, { reinstall: true })

      await expect(second).rejects.toThrow(INSTALL_MESSAGES.locked)
      expect(await first).toBe(true)
    })

    it('skips the script when the Panel says skip_egg_scripts, and still reports', async () => {
      const { uuid, server, panel, installer, events } = await setup('echo never\n', {
        skipEggScripts: true,
      })

      expect(await installer.install(server, { reinstall: true })).toBe(true)

      expect(events).toEqual(['install completed'])
      expect(panel.installationStatuses).toEqual([
        { uuid, status: { successful: true, reinstall: true } },
      ])
    })

    it('reports failure when the Panel gives no script', async () => {
      const { uuid, server, panel, installer } = await setup('echo never\n')
      panel.failNext('getInstallationScript', new Error('panel is down'))

      expect(await installer.install(server, { reinstall: false })).toBe(false)

      expect(panel.installationStatuses).toEqual([
        { uuid, status: { successful: false, reinstall: false } },
      ])
      expect(server.isInstalling).toBe(false)
    })
  })
}
