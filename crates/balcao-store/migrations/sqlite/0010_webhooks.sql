-- Webhook subscriptions, the deliveries fanned out to them from the outbox (each its own
-- retry queue: due at `run_at`, claimed by moving `run_at` past a lease), and each try.

CREATE TABLE webhooks (
    id              BLOB PRIMARY KEY NOT NULL,
    account_id      BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    url             TEXT NOT NULL,
    events          TEXT NOT NULL,
    headers         TEXT NOT NULL,
    secret          TEXT NOT NULL,
    active          INTEGER NOT NULL,
    disabled_reason TEXT,
    failing_since   INTEGER,
    last_success_at INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX webhooks_account_idx ON webhooks (account_id, id);

CREATE TABLE webhook_deliveries (
    id           BLOB PRIMARY KEY NOT NULL,
    account_id   BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    webhook_id   BLOB NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id     BLOB NOT NULL,
    event        TEXT NOT NULL,
    body         TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    run_at       INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    delivered_at INTEGER,
    created_at   INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX webhook_deliveries_event_key ON webhook_deliveries (webhook_id, event_id);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (run_at, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id);

CREATE TABLE webhook_attempts (
    id          BLOB PRIMARY KEY NOT NULL,
    account_id  BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    delivery_id BLOB NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    status_code INTEGER,
    latency_ms  INTEGER NOT NULL,
    error       TEXT,
    response    TEXT
) STRICT;
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id);
