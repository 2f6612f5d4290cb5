/**
 * `fn` over every item with at most `limit` calls running at once, the results in the items'
 * order: the bounded fan-out of every many-item operation, so one request can never hold a
 * descriptor (or a pool thread) per item. After a failure no further item starts, and the promise
 * rejects with the first failure only once the calls already running have settled: nothing keeps
 * running after the caller has heard of it.
 */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  let failure: { readonly error: unknown } | undefined
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const i = next++
      try {
        results[i] = await fn(items[i]!, i)
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  const workers = Math.max(1, Math.min(Math.floor(limit), items.length))
  await Promise.all(Array.from({ length: workers }, worker))
  if (failure !== undefined) throw failure.error
  return results
}
