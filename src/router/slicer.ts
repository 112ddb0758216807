// Cooperative time slicing of router builds. A build is written once, as a generator whose work
// loops ask `slicer.due()` every few units of work and `yield` when it says so. The synchronous
// build runs the generator with a slicer that is never due (it completes in one `next()`); the
// asynchronous build resumes it on `setImmediate` after every yield, so requests and I/O are
// served between slices and no slice blocks the event loop for much longer than `sliceMs`.
import { performance } from 'node:perf_hooks'

/** A build step: yields when its slice is used up, returns the result. */
export type Steps<T> = Generator<void, T, void>

export class Slicer {
  /** Never due: the synchronous build. */
  static readonly never = new Slicer(Number.POSITIVE_INFINITY)

  private sliceStart = 0
  private readonly limit: number

  /** `sliceMs` of work per slice; `Infinity` never yields (synchronous build). */
  constructor(sliceMs: number) {
    this.limit = Math.max(0, sliceMs || 0)
  }

  /** Starts a slice. */
  begin(): void {
    if (this.limit !== Number.POSITIVE_INFINITY) this.sliceStart = performance.now()
  }

  /** The current slice has used its time: the caller should `yield` now. */
  due(): boolean {
    return this.limit !== Number.POSITIVE_INFINITY && performance.now() - this.sliceStart >= this.limit
  }
}

/** Runs a build made with `Slicer.never` to the end (it never yields: one `next()`). */
export function runSync<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next()
    if (r.done === true) return r.value
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Runs a build in slices, giving the event loop a turn (`setImmediate`) between slices. */
export async function runSliced<T>(steps: Steps<T>, slicer: Slicer): Promise<T> {
  for (;;) {
    slicer.begin()
    const r = steps.next()
    if (r.done === true) return r.value
    await nextTurn()
  }
}

/**
 * Sorts `items` by `compare`, which must be a total order (never 0 for distinct items), so the
 * result is the one sorted permutation whatever the algorithm. Runs of `RUN` items are sorted
 * natively, then merged pairwise with a check of the slicer every `MERGE_STRIDE` items. May
 * return a different array than `items` (which is then clobbered).
 */
export function* sortSliced<T>(items: T[], compare: (a: T, b: T) => number, slicer: Slicer): Steps<T[]> {
  const n = items.length
  if (n <= RUN) return items.sort(compare)
  for (let lo = 0; lo < n; lo += RUN) {
    const hi = Math.min(n, lo + RUN)
    const run = items.slice(lo, hi).sort(compare)
    for (let i = 0; i < run.length; i++) items[lo + i] = run[i]
    if (slicer.due()) yield
  }
  let src = items
  // Filled in order by the first pass (it stays a packed array).
  let dst: T[] = []
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(n, lo + width)
      const hi = Math.min(n, lo + 2 * width)
      yield* mergeInto(src, lo, mid, src, mid, hi, dst, lo, compare, slicer)
      // Early passes merge short runs, each below the stride of the check inside.
      if (slicer.due()) yield
    }
    const t = src
    src = dst
    dst = t
  }
  return src
}

/** Items sorted natively per run before the merge passes (a few hundred µs per run). */
const RUN = 1024
/** Items merged between two checks of the slicer. */
const MERGE_STRIDE = 2048

/**
 * Merges the sorted ranges a[aLo, aHi) and b[bLo, bHi) into out[at, …) (`out` must have at
 * least `at` items: it is written in order); on equal keys the item of `a` comes first.
 */
export function* mergeInto<T>(
  a: readonly T[],
  aLo: number,
  aHi: number,
  b: readonly T[],
  bLo: number,
  bHi: number,
  out: T[],
  at: number,
  compare: (x: T, y: T) => number,
  slicer: Slicer,
): Steps<void> {
  let i = aLo
  let j = bLo
  let k = at
  let stride = MERGE_STRIDE
  while (i < aHi && j < bHi) {
    if (compare(a[i], b[j]) <= 0) out[k++] = a[i++]
    else out[k++] = b[j++]
    if (--stride === 0) {
      stride = MERGE_STRIDE
      if (slicer.due()) yield
    }
  }
  while (i < aHi) out[k++] = a[i++]
  while (j < bHi) out[k++] = b[j++]
}
