// basic-auth's tables. Never edit a released migration: add a new one.
import type { Migration } from '../../db/strategies/strategy.js'

export const migrations: Migration[] = [
  {
    name: '000_base_basic_auth',
    sqlite: {
      up: `
CREATE TABLE basicauth_credentials (
  id TEXT PRIMARY KEY,
  username TEXT UNIQUE,
  consumer_id TEXT REFERENCES consumers (id) ON DELETE CASCADE,
  doc TEXT NOT NULL
);
CREATE INDEX basicauth_credentials_consumer ON basicauth_credentials (consumer_id);
`,
    },
  },
]
