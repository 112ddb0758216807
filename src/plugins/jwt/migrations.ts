// jwt's tables. Never edit a released migration: add a new one.
import type { Migration } from '../../db/strategies/strategy.js'

export const migrations: Migration[] = [
  {
    name: '000_base_jwt',
    sqlite: {
      up: `
CREATE TABLE jwt_secrets (
  id TEXT PRIMARY KEY,
  key TEXT UNIQUE,
  consumer_id TEXT REFERENCES consumers (id) ON DELETE CASCADE,
  doc TEXT NOT NULL
);
CREATE INDEX jwt_secrets_consumer ON jwt_secrets (consumer_id);
`,
    },
  },
]
