// oauth2's tables. Never edit a released migration: add a new one.
import type { Migration } from '../../db/strategies/strategy.js'

export const migrations: Migration[] = [
  {
    name: '000_base_oauth2',
    sqlite: {
      up: `
CREATE TABLE oauth2_credentials (
  id TEXT PRIMARY KEY,
  client_id TEXT UNIQUE,
  consumer_id TEXT REFERENCES consumers (id) ON DELETE CASCADE,
  doc TEXT NOT NULL
);
CREATE INDEX oauth2_credentials_consumer ON oauth2_credentials (consumer_id);

CREATE TABLE oauth2_authorization_codes (
  id TEXT PRIMARY KEY,
  code TEXT UNIQUE,
  service_id TEXT REFERENCES services (id) ON DELETE CASCADE,
  credential_id TEXT REFERENCES oauth2_credentials (id) ON DELETE CASCADE,
  plugin_id TEXT REFERENCES plugins (id) ON DELETE CASCADE,
  expires_at REAL,
  doc TEXT NOT NULL
);
CREATE INDEX oauth2_authorization_codes_service ON oauth2_authorization_codes (service_id);
CREATE INDEX oauth2_authorization_codes_credential ON oauth2_authorization_codes (credential_id);
CREATE INDEX oauth2_authorization_codes_plugin ON oauth2_authorization_codes (plugin_id);
CREATE INDEX oauth2_authorization_codes_expires ON oauth2_authorization_codes (expires_at);

CREATE TABLE oauth2_tokens (
  id TEXT PRIMARY KEY,
  access_token TEXT UNIQUE,
  refresh_token TEXT UNIQUE,
  service_id TEXT REFERENCES services (id) ON DELETE CASCADE,
  credential_id TEXT REFERENCES oauth2_credentials (id) ON DELETE CASCADE,
  expires_at REAL,
  doc TEXT NOT NULL
);
CREATE INDEX oauth2_tokens_service ON oauth2_tokens (service_id);
CREATE INDEX oauth2_tokens_credential ON oauth2_tokens (credential_id);
CREATE INDEX oauth2_tokens_expires ON oauth2_tokens (expires_at);
`,
    },
  },
]
