// xxHash32 (seed 0) of a string's UTF-8 bytes: the hash Kong's consistent-hashing ring uses, so
// the same hash values pick the same places on the ring as Kong's.

const P1 = 0x9e3779b1
const P2 = 0x85ebca77
const P3 = 0xc2b2ae3d
const P4 = 0x27d4eb2f
const P5 = 0x165667b1

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r))

function round(acc: number, lane: number): number {
  acc = (acc + Math.imul(lane, P2)) | 0
  return Math.imul(rotl(acc, 13), P1)
}

const encoder = new TextEncoder()

export function xxhash32(input: string | Uint8Array, seed = 0): number {
  const b = typeof input === 'string' ? encoder.encode(input) : input
  const len = b.length
  const u32 = (i: number): number => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)
  let i = 0
  let h: number
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0
    let v2 = (seed + P2) | 0
    let v3 = seed | 0
    let v4 = (seed - P1) | 0
    for (; i + 16 <= len; i += 16) {
      v1 = round(v1, u32(i))
      v2 = round(v2, u32(i + 4))
      v3 = round(v3, u32(i + 8))
      v4 = round(v4, u32(i + 12))
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0
  } else {
    h = (seed + P5) | 0
  }
  h = (h + len) | 0
  for (; i + 4 <= len; i += 4) h = Math.imul(rotl((h + Math.imul(u32(i), P3)) | 0, 17), P4)
  for (; i < len; i++) h = Math.imul(rotl((h + Math.imul(b[i], P5)) | 0, 11), P1)
  h ^= h >>> 15
  h = Math.imul(h, P2)
  h ^= h >>> 13
  h = Math.imul(h, P3)
  h ^= h >>> 16
  return h >>> 0
}
