import fs from 'node:fs/promises'

import type { Backend, JailMode } from './backend.js'
import { loadNativeBinding, NativeBackend } from './native-backend.js'
import { WalkBackend } from './walk-backend.js'

/** Which implementation resolves a jail's paths (`jail.backend`), and why. */
export interface JailBackend {
  /** `openat2`: the native addon, the kernel confines; `walk`: the pure-JS walk. */
  readonly mode: JailMode
  /**
   * The addon file in use, in `openat2` mode: `…/build/Release/filesystem_jail.node` when the
   * install script built it, `…/prebuilds/<platform>-<arch>/filesystem_jail.node` when it came
   * packed in the package.
   */
  readonly addon?: string
  /** Why the addon is not in use, in `walk` mode. */
  readonly nativeUnavailable?: string
}

/** What a start-up probe found: the backend `auto` picks here. */
export type ModeProbe = JailBackend

let probed: Promise<{ probe: ModeProbe; native?: NativeBackend }> | undefined

async function runProbe(): Promise<{ probe: ModeProbe; native?: NativeBackend }> {
  // Both modes reach some calls through /proc/self/fd (reopening O_PATH descriptors, readdir).
  await fs.stat('/proc/self/fd').catch((error: unknown) => {
    throw new Error('filesystem-jail needs /proc mounted (it uses /proc/self/fd)', { cause: error })
  })
  const loaded = loadNativeBinding()
  if ('reason' in loaded) return { probe: { mode: 'walk', nativeUnavailable: loaded.reason } }
  return {
    probe: { mode: 'openat2', addon: loaded.path },
    native: new NativeBackend(loaded.binding),
  }
}

/** Probes once per process: is the native addon built and does openat2 work on this kernel? */
export async function probeJailMode(): Promise<ModeProbe> {
  probed ??= runProbe()
  return (await probed).probe
}

/** The backend for a configured mode (`system.openat_mode`; `auto` picks by the probe). */
export async function selectBackend(
  mode: JailMode | 'auto',
): Promise<{ backend: Backend; info: JailBackend }> {
  probed ??= runProbe()
  const { probe, native } = await probed
  if (mode === 'walk') {
    return {
      backend: new WalkBackend(),
      info: { mode, nativeUnavailable: "mode 'walk' asked for" },
    }
  }
  if (native) return { backend: native, info: probe }
  if (mode === 'openat2') {
    throw new Error(`filesystem-jail: mode 'openat2' requested but ${probe.nativeUnavailable}`)
  }
  return { backend: new WalkBackend(), info: probe }
}
