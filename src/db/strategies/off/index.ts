// DB-less mode (`database = off`): the whole configuration lives in memory. It is held in an
// in-memory SQLite database with the same tables as the embedded store, so that every read the
// Admin API makes (pages, tags, lookups by unique field or cache key) behaves exactly as with a
// database. Only a complete configuration replaces it (declarative_config, POST /config), in
// one transaction; the DAO refuses single-entity writes (see `DB.readOnly`).
import { SqliteStrategy } from '../sqlite/index.js'

export class OffStrategy extends SqliteStrategy {
  override readonly name = 'off' as const

  constructor() {
    super({ path: ':memory:' })
  }
}
