// key-auth's tables. Never edit a released migration: add a new one.
import type { Migration } from '../../db/strategies/strategy.js'

export const migrations: Migration[] = [
  {
    name: '000_base_key_auth',
    sqlite: {
      up: `
CREATE TABLE keyauth_credentials (
  id TEXT PRIMARY KEY,
  key TEXT UNIQUE,
  consumer_id TEXT REFERENCES consumers (id) ON DELETE CASCADE,
  expires_at REAL,
  doc TEXT NOT NULL
);
CREATE INDEX keyauth_credentials_consumer ON keyauth_credentials (consumer_id);
CREATE INDEX keyauth_credentials_expires ON keyauth_credentials (expires_at);
`,
    },
  },
]
