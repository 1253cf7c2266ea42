/**
 * A value made once, on first use, and shared after that: e.g. a
 * WebAssembly engine that takes a while to start. A failed creation is not
 * kept, so the next call tries again.
 */
export function lazyShared<T>(create: () => Promise<T>): () => Promise<T> {
  let shared: Promise<T> | undefined
  return () => {
    shared ??= create().catch((error: unknown) => {
      shared = undefined
      throw error
    })
    return shared
  }
}
