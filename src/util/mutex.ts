// A FIFO async mutex: runs critical sections one at a time, in call order.
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve()

  run<T>(fn: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn)
    // Keep the chain alive whether or not this section fails.
    this.tail = result.then(
      () => undefined,
      () => undefined,
    )
    return result
  }
}
