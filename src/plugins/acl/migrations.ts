// acl's tables. Never edit a released migration: add a new one.
import type { Migration } from '../../db/strategies/strategy.js'

export const migrations: Migration[] = [
  {
    name: '000_base_acl',
    sqlite: {
      up: `
CREATE TABLE acls (
  id TEXT PRIMARY KEY,
  consumer_id TEXT REFERENCES consumers (id) ON DELETE CASCADE,
  cache_key TEXT UNIQUE,
  doc TEXT NOT NULL
);
CREATE INDEX acls_consumer ON acls (consumer_id);
`,
    },
  },
]
