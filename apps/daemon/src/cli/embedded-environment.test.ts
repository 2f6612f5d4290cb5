import { describe, expect, it } from 'vitest'

import { chooseEmbeddedEnvironment } from './embedded-environment.js'

const built = () => Promise.resolve()
const noBusybox = () => Promise.reject(new Error('/bin/busybox is not statically linked'))

describe('chooseEmbeddedEnvironment', () => {
  it('takes Docker when an engine answers and the sample image builds', async () => {
    expect(
      await chooseEmbeddedEnvironment({
        requested: undefined,
        dockerAnswers: () => Promise.resolve(true),
        buildSampleImage: built,
      }),
    ).toEqual({ environment: 'docker', note: '' })
  })

  it('falls back to child processes, saying why, when no engine answers', async () => {
    const choice = await chooseEmbeddedEnvironment({
      requested: undefined,
      dockerAnswers: () => Promise.resolve(false),
      buildSampleImage: built,
    })

    expect(choice.environment).toBe('process')
    expect(choice.note).toMatch(/^\(no Docker engine answered: .*child process/)
  })

  it('falls back, with the reason, when the image cannot be built', async () => {
    const choice = await chooseEmbeddedEnvironment({
      requested: undefined,
      dockerAnswers: () => Promise.resolve(true),
      buildSampleImage: noBusybox,
    })

    expect(choice.environment).toBe('process')
    expect(choice.note).toContain('/bin/busybox is not statically linked')
  })

  it('does as WINGS_ENVIRONMENT says, failing when Docker was asked for and cannot be had', async () => {
    const never = () => Promise.reject(new Error('not asked'))

    expect(
      (
        await chooseEmbeddedEnvironment({
          requested: 'process',
          dockerAnswers: never,
          buildSampleImage: never,
        })
      ).environment,
    ).toBe('process')
    await expect(
      chooseEmbeddedEnvironment({
        requested: 'docker',
        dockerAnswers: never,
        buildSampleImage: noBusybox,
      }),
    ).rejects.toThrow('busybox')
  })
})
