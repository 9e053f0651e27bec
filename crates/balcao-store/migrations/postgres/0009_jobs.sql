-- Background jobs: channel sends, media fetches, read receipts. A job is due at `run_at`;
-- claiming it moves `run_at` past a lease, so a worker that dies lets it come due again.
-- Jobs sharing a `queue_key` (a contact's sends) run one at a time, oldest first.

CREATE TABLE jobs (
    id            UUID PRIMARY KEY,
    account_id    UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    connection_id UUID NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    subject_id    UUID NOT NULL,
    queue_key     UUID NOT NULL,
    payload       TEXT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    run_at        BIGINT NOT NULL,
    last_error    TEXT,
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX jobs_subject_key ON jobs (kind, subject_id);
CREATE INDEX jobs_queue_idx ON jobs (queue_key, id);
CREATE INDEX jobs_due_idx ON jobs (run_at, id);
