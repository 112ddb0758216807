// Core schema, version 0. Each entity table keeps the whole entity as JSON in `doc` and the
// columns constraints need: unique fields, `<fk>_id` foreign keys and composite `cache_key`s.
// Never edit a released migration: add a new one.
import type { Migration } from '../../strategies/strategy.js'

const sqlite = `
CREATE TABLE tags (
  tag TEXT NOT NULL,
  entity_name TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  PRIMARY KEY (tag, entity_name, entity_id)
);
CREATE INDEX tags_entity ON tags (entity_name, entity_id);

CREATE TABLE certificates (
  id TEXT PRIMARY KEY,
  doc TEXT NOT NULL
);

CREATE TABLE ca_certificates (
  id TEXT PRIMARY KEY,
  cert_digest TEXT UNIQUE,
  doc TEXT NOT NULL
);

CREATE TABLE snis (
  id TEXT PRIMARY KEY,
  name TEXT UNIQUE,
  certificate_id TEXT REFERENCES certificates (id) ON DELETE CASCADE,
  doc TEXT NOT NULL
);
CREATE INDEX snis_certificate ON snis (certificate_id);

CREATE TABLE services (
  id TEXT PRIMARY KEY,
  name TEXT UNIQUE,
  client_certificate_id TEXT REFERENCES certificates (id),
  doc TEXT NOT NULL
);
CREATE INDEX services_client_certificate ON services (client_certificate_id);

CREATE TABLE routes (
  id TEXT PRIMARY KEY,
  name TEXT UNIQUE,
  service_id TEXT REFERENCES services (id),
  doc TEXT NOT NULL
);
CREATE INDEX routes_service ON routes (service_id);

CREATE TABLE consumers (
  id TEXT PRIMARY KEY,
  username TEXT UNIQUE,
  custom_id TEXT UNIQUE,
  doc TEXT NOT NULL
);

CREATE TABLE plugins (
  id TEXT PRIMARY KEY,
  instance_name TEXT UNIQUE,
  route_id TEXT REFERENCES routes (id) ON DELETE CASCADE,
  service_id TEXT REFERENCES services (id) ON DELETE CASCADE,
  consumer_id TEXT REFERENCES consumers (id) ON DELETE CASCADE,
  cache_key TEXT UNIQUE,
  doc TEXT NOT NULL
);
CREATE INDEX plugins_route ON plugins (route_id);
CREATE INDEX plugins_service ON plugins (service_id);
CREATE INDEX plugins_consumer ON plugins (consumer_id);

CREATE TABLE upstreams (
  id TEXT PRIMARY KEY,
  name TEXT UNIQUE,
  client_certificate_id TEXT REFERENCES certificates (id),
  doc TEXT NOT NULL
);
CREATE INDEX upstreams_client_certificate ON upstreams (client_certificate_id);

CREATE TABLE targets (
  id TEXT PRIMARY KEY,
  upstream_id TEXT REFERENCES upstreams (id) ON DELETE CASCADE,
  cache_key TEXT UNIQUE,
  doc TEXT NOT NULL
);
CREATE INDEX targets_upstream ON targets (upstream_id);

CREATE TABLE key_sets (
  id TEXT PRIMARY KEY,
  name TEXT UNIQUE,
  doc TEXT NOT NULL
);

CREATE TABLE keys (
  id TEXT PRIMARY KEY,
  name TEXT UNIQUE,
  set_id TEXT REFERENCES key_sets (id) ON DELETE CASCADE,
  cache_key TEXT UNIQUE,
  doc TEXT NOT NULL
);
CREATE INDEX keys_set ON keys (set_id);

CREATE TABLE vaults (
  id TEXT PRIMARY KEY,
  prefix TEXT UNIQUE,
  doc TEXT NOT NULL
);
`

export const migration: Migration = { name: '000_base', sqlite: { up: sqlite } }
