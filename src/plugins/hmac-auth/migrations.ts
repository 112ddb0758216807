// hmac-auth's tables. Never edit a released migration: add a new one.
import type { Migration } from '../../db/strategies/strategy.js'

export const migrations: Migration[] = [
  {
    name: '000_base_hmac_auth',
    sqlite: {
      up: `
CREATE TABLE hmacauth_credentials (
  id TEXT PRIMARY KEY,
  username TEXT UNIQUE,
  consumer_id TEXT REFERENCES consumers (id) ON DELETE CASCADE,
  doc TEXT NOT NULL
);
CREATE INDEX hmacauth_credentials_consumer ON hmacauth_credentials (consumer_id);
`,
    },
  },
]
