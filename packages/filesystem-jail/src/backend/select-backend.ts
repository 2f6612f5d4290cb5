import fs from 'node:fs/promises'

import type { Backend, JailMode } from './backend.js'
import { loadNativeBinding, NativeBackend } from './native-backend.js'
import { WalkBackend } from './walk-backend.js'

/** What a start-up probe found: the mode `auto` picks here, and why not `openat2` if not. */
export interface ModeProbe {
  readonly mode: JailMode
  /** Why the native mode is unavailable; undefined when it is available. */
  readonly nativeUnavailable?: string
}

let probed: Promise<{ probe: ModeProbe; native?: NativeBackend }> | undefined

async function runProbe(): Promise<{ probe: ModeProbe; native?: NativeBackend }> {
  // Both modes reach some calls through /proc/self/fd (reopening O_PATH descriptors, readdir).
  await fs.stat('/proc/self/fd').catch((error: unknown) => {
    throw new Error('filesystem-jail needs /proc mounted (it uses /proc/self/fd)', { cause: error })
  })
  const loaded = loadNativeBinding()
  if ('reason' in loaded) return { probe: { mode: 'walk', nativeUnavailable: loaded.reason } }
  return { probe: { mode: 'openat2' }, native: new NativeBackend(loaded.binding) }
}

/** Probes once per process: is the native addon built and does openat2 work on this kernel? */
export async function probeJailMode(): Promise<ModeProbe> {
  probed ??= runProbe()
  return (await probed).probe
}

/** The backend for a configured mode (`system.openat_mode`; `auto` picks by the probe). */
export async function selectBackend(mode: JailMode | 'auto'): Promise<Backend> {
  probed ??= runProbe()
  const { probe, native } = await probed
  if (mode === 'walk') return new WalkBackend()
  if (native) return native
  if (mode === 'openat2') {
    throw new Error(`filesystem-jail: mode 'openat2' requested but ${probe.nativeUnavailable}`)
  }
  return new WalkBackend()
}
