-- Tickets with their history and closing topics, messages, and the per-account protocol counter.

CREATE TABLE ticket_counters (
    account_id UUID PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    value      BIGINT NOT NULL
);

CREATE TABLE ticket_topics (
    id          UUID PRIMARY KEY,
    account_id  UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    archived_at BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX ticket_topics_name_key ON ticket_topics (account_id, name);

CREATE TABLE tickets (
    id               UUID PRIMARY KEY,
    account_id       UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    contact_id       UUID NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    connection_id    UUID NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    protocol         TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('open', 'pending', 'snoozed', 'resolved')),
    priority         SMALLINT NOT NULL CHECK (priority BETWEEN 0 AND 3),
    department_id    UUID REFERENCES departments (id) ON DELETE SET NULL,
    user_id          UUID REFERENCES users (id) ON DELETE SET NULL,
    snoozed_until    BIGINT,
    started_at       BIGINT NOT NULL,
    ended_at         BIGINT,
    first_reply_at   BIGINT,
    first_message_id UUID,
    last_message_id  UUID,
    unread_count     BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX tickets_protocol_key ON tickets (account_id, protocol);
CREATE UNIQUE INDEX tickets_active_key ON tickets (contact_id, connection_id) WHERE status <> 'resolved';
CREATE INDEX tickets_account_idx ON tickets (account_id, id);
CREATE INDEX tickets_account_status_idx ON tickets (account_id, status, id);

CREATE TABLE ticket_closing_topics (
    account_id UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    ticket_id  UUID NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    topic_id   UUID NOT NULL REFERENCES ticket_topics (id) ON DELETE CASCADE,
    PRIMARY KEY (ticket_id, topic_id)
);

CREATE TABLE ticket_entries (
    id                 UUID PRIMARY KEY,
    account_id         UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    ticket_id          UUID NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    action             TEXT NOT NULL,
    from_department_id UUID,
    to_department_id   UUID,
    from_user_id       UUID,
    to_user_id         UUID,
    by_user_id         UUID,
    comment            TEXT,
    created_at         BIGINT NOT NULL
);
CREATE INDEX ticket_entries_ticket_idx ON ticket_entries (ticket_id, id);

CREATE TABLE messages (
    id                UUID PRIMARY KEY,
    account_id        UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    connection_id     UUID NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    contact_id        UUID NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    ticket_id         UUID REFERENCES tickets (id) ON DELETE SET NULL,
    direction         TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    type              TEXT NOT NULL,
    origin            TEXT NOT NULL,
    user_id           UUID REFERENCES users (id) ON DELETE SET NULL,
    text              TEXT,
    payload           TEXT,
    quoted_message_id UUID,
    status            TEXT,
    error_code        TEXT,
    error_text        TEXT,
    external_id       TEXT,
    edited_at         BIGINT,
    revoked_at        BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX messages_ticket_idx ON messages (ticket_id, id);
CREATE INDEX messages_contact_idx ON messages (contact_id, id);
CREATE INDEX messages_account_idx ON messages (account_id, id);
CREATE UNIQUE INDEX messages_external_id_key ON messages (connection_id, external_id) WHERE external_id IS NOT NULL;
