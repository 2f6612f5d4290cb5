/** Where the embedded default runs its sample server, and why, for the banner. */
export interface EmbeddedEnvironment {
  readonly environment: 'docker' | 'process'
  /** Shown after the environment's name: why it is not Docker, or what was asked for. */
  readonly note: string
}

export interface EmbeddedEnvironmentProbe {
  /** `WINGS_ENVIRONMENT`, when the operator set it. */
  readonly requested: string | undefined
  readonly dockerAnswers: () => Promise<boolean>
  /** Builds the sample server's image; rejects with a message that says what is missing. */
  readonly buildSampleImage: () => Promise<void>
}

const NO_ISOLATION = 'the sample server runs as a child process, without isolation'

/**
 * Docker when an engine answers and the sample image can be built on this machine (no registry is
 * needed); otherwise the process environment, with a note saying why. `WINGS_ENVIRONMENT` decides
 * when set.
 */
export async function chooseEmbeddedEnvironment(
  probe: EmbeddedEnvironmentProbe,
): Promise<EmbeddedEnvironment> {
  if (probe.requested === 'process') {
    return { environment: 'process', note: `(WINGS_ENVIRONMENT=process: ${NO_ISOLATION})` }
  }
  if (probe.requested !== 'docker' && !(await probe.dockerAnswers())) {
    return { environment: 'process', note: `(no Docker engine answered: ${NO_ISOLATION})` }
  }
  try {
    await probe.buildSampleImage()
    return { environment: 'docker', note: '' }
  } catch (err) {
    if (probe.requested === 'docker') throw err
    const reason = err instanceof Error ? err.message : String(err)
    return {
      environment: 'process',
      note: `(Docker answers, but the sample image could not be built: ${reason}; ${NO_ISOLATION})`,
    }
  }
}
