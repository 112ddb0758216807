// Change events of PostgreSQL nodes (docs/architecture.md, "Several nodes"): every committed
// write adds one row in its own transaction, and other nodes apply the rows they have not seen.
// SQLite has no use for it (one node owns the file): its migration is only bookkept.
import type { Migration } from '../../strategies/strategy.js'

export const migration: Migration = {
  name: '001_cluster_events',
  sqlite: { up: '' },
  postgres: {
    up: `
CREATE TABLE cluster_events (
  id BIGSERIAL PRIMARY KEY,
  node_id TEXT NOT NULL,
  at DOUBLE PRECISION NOT NULL,
  batch TEXT NOT NULL
);
CREATE INDEX cluster_events_at ON cluster_events (at);
`,
  },
}
