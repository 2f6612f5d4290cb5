import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

import { describe, expect, it } from 'vitest'

const GUARD = fileURLToPath(new URL('../../src/cli/crash-guard.ts', import.meta.url))

/** Runs `code` in a fresh Node process that installed the crash guard first. */
function runGuarded(code: string): { status: number | null; stderr: string } {
  const script = `const { installCrashGuard } = await import(${JSON.stringify(GUARD)}); installCrashGuard(); ${code}`
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 20_000,
  })
  return { status: result.status, stderr: result.stderr }
}

describe('crash guard', () => {
  it('turns an unhandled rejection into one marked line and exit code 70', () => {
    const result = runGuarded(`Promise.reject(new Error('nobody caught me'))`)

    expect(result.status).toBe(70)
    expect(result.stderr).toMatch(/^unhandled rejection: Error: nobody caught me/m)
  })

  it('turns an uncaught exception into one marked line and exit code 70', () => {
    const result = runGuarded(`setTimeout(() => { throw new Error('thrown in a timer') }, 1)`)

    expect(result.status).toBe(70)
    expect(result.stderr).toMatch(/^uncaught exception: Error: thrown in a timer/m)
  })

  it('lets a process without errors exit normally', () => {
    expect(runGuarded(`process.exitCode = 0`).status).toBe(0)
  })
})
