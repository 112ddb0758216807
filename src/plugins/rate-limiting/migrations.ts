// rate-limiting's table: the counters of the `cluster` policy, one row per window (as Kong's
// `ratelimiting_metrics`). `period_date` is the window's start and `ttl` when the row may be
// purged, both in ms since the epoch. Never edit a released migration: add a new one.
import type { Migration } from '../../db/strategies/strategy.js'

export const migrations: Migration[] = [
  {
    name: '000_base_rate_limiting',
    sqlite: {
      up: `
CREATE TABLE ratelimiting_metrics (
  identifier TEXT NOT NULL,
  period TEXT NOT NULL,
  period_date INTEGER NOT NULL,
  service_id TEXT NOT NULL,
  route_id TEXT NOT NULL,
  value INTEGER NOT NULL,
  ttl INTEGER NOT NULL,
  PRIMARY KEY (identifier, period, period_date, service_id, route_id)
);
CREATE INDEX ratelimiting_metrics_ttl ON ratelimiting_metrics (ttl);
`,
    },
    postgres: {
      up: `
CREATE TABLE ratelimiting_metrics (
  identifier TEXT NOT NULL,
  period TEXT NOT NULL,
  period_date BIGINT NOT NULL,
  service_id TEXT NOT NULL,
  route_id TEXT NOT NULL,
  value BIGINT NOT NULL,
  ttl BIGINT NOT NULL,
  PRIMARY KEY (identifier, period, period_date, service_id, route_id)
);
CREATE INDEX ratelimiting_metrics_ttl ON ratelimiting_metrics (ttl);
`,
    },
  },
]
