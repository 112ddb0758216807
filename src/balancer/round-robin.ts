// round-robin (balancer.md §3.1): a wheel where each address appears weight / gcd(weights)
// times, shuffled at every rebuild so workers and nodes start at different places; each pick
// moves one slot on, skipping unavailable addresses. Over a full turn of the wheel every address
// gets exactly its share.
import type { Address, Algorithm, Handle } from './address.js'

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b))

export class RoundRobin implements Algorithm {
  readonly wheel: Address[]
  private pointer = 0

  constructor(addresses: readonly Address[], random: () => number = Math.random) {
    let divisor = 0
    for (const a of addresses) if (a.weight > 0) divisor = gcd(divisor, a.weight)
    const wheel: Address[] = []
    for (const a of addresses) for (let i = 0; i < a.weight / (divisor || 1); i++) wheel.push(a)
    for (let i = wheel.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      const t = wheel[i]
      wheel[i] = wheel[j]
      wheel[j] = t
    }
    this.wheel = wheel
  }

  pick(_handle: Handle): Address | null {
    const n = this.wheel.length
    for (let i = 0; i < n; i++) {
      this.pointer = this.pointer + 1 >= n ? 0 : this.pointer + 1
      const a = this.wheel[this.pointer]
      if (a.available) return a
    }
    return null
  }
}
