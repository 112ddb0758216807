// Request ids: 32 lower-case hex characters (128 random bits), taken from a pre-filled pool of
// random bytes so that the request path does not call into the CSPRNG for every request.
import { randomFillSync } from 'node:crypto'

const IDS_PER_FILL = 512
const pool = Buffer.alloc(16 * IDS_PER_FILL)
let offset = pool.length

export function requestId(): string {
  if (offset >= pool.length) {
    randomFillSync(pool)
    offset = 0
  }
  const id = pool.toString('hex', offset, offset + 16)
  offset += 16
  return id
}
