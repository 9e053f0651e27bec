-- Tickets with their history and closing topics, messages, and the per-account protocol counter.

CREATE TABLE ticket_counters (
    account_id BLOB PRIMARY KEY NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    value      INTEGER NOT NULL
) STRICT;

CREATE TABLE ticket_topics (
    id          BLOB PRIMARY KEY NOT NULL,
    account_id  BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    archived_at INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX ticket_topics_name_key ON ticket_topics (account_id, name);

CREATE TABLE tickets (
    id               BLOB PRIMARY KEY NOT NULL,
    account_id       BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    contact_id       BLOB NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    connection_id    BLOB NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    protocol         TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('open', 'pending', 'snoozed', 'resolved')),
    priority         INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 3),
    department_id    BLOB REFERENCES departments (id) ON DELETE SET NULL,
    user_id          BLOB REFERENCES users (id) ON DELETE SET NULL,
    snoozed_until    INTEGER,
    started_at       INTEGER NOT NULL,
    ended_at         INTEGER,
    first_reply_at   INTEGER,
    first_message_id BLOB,
    last_message_id  BLOB,
    unread_count     INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX tickets_protocol_key ON tickets (account_id, protocol);
CREATE UNIQUE INDEX tickets_active_key ON tickets (contact_id, connection_id) WHERE status <> 'resolved';
CREATE INDEX tickets_account_idx ON tickets (account_id, id);
CREATE INDEX tickets_account_status_idx ON tickets (account_id, status, id);

CREATE TABLE ticket_closing_topics (
    account_id BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    ticket_id  BLOB NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    topic_id   BLOB NOT NULL REFERENCES ticket_topics (id) ON DELETE CASCADE,
    PRIMARY KEY (ticket_id, topic_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE ticket_entries (
    id                 BLOB PRIMARY KEY NOT NULL,
    account_id         BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    ticket_id          BLOB NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    action             TEXT NOT NULL,
    from_department_id BLOB,
    to_department_id   BLOB,
    from_user_id       BLOB,
    to_user_id         BLOB,
    by_user_id         BLOB,
    comment            TEXT,
    created_at         INTEGER NOT NULL
) STRICT;
CREATE INDEX ticket_entries_ticket_idx ON ticket_entries (ticket_id, id);

CREATE TABLE messages (
    id                BLOB PRIMARY KEY NOT NULL,
    account_id        BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    connection_id     BLOB NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    contact_id        BLOB NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    ticket_id         BLOB REFERENCES tickets (id) ON DELETE SET NULL,
    direction         TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    type              TEXT NOT NULL,
    origin            TEXT NOT NULL,
    user_id           BLOB REFERENCES users (id) ON DELETE SET NULL,
    text              TEXT,
    payload           TEXT,
    quoted_message_id BLOB,
    status            TEXT,
    error_code        TEXT,
    error_text        TEXT,
    external_id       TEXT,
    edited_at         INTEGER,
    revoked_at        INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
) STRICT;
CREATE INDEX messages_ticket_idx ON messages (ticket_id, id);
CREATE INDEX messages_contact_idx ON messages (contact_id, id);
CREATE INDEX messages_account_idx ON messages (account_id, id);
CREATE UNIQUE INDEX messages_external_id_key ON messages (connection_id, external_id) WHERE external_id IS NOT NULL;
