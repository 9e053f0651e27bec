-- Transactional outbox, connections (channel accounts), tags and contacts.

CREATE TABLE outbox_events (
    id            BLOB PRIMARY KEY NOT NULL,
    account_id    BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    subject_type  TEXT NOT NULL,
    subject_id    BLOB NOT NULL,
    payload       TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    dispatched_at INTEGER
) STRICT;
CREATE INDEX outbox_events_pending_idx ON outbox_events (id) WHERE dispatched_at IS NULL;
CREATE INDEX outbox_events_subject_idx ON outbox_events (account_id, subject_id, id);

CREATE TABLE connections (
    id                    BLOB PRIMARY KEY NOT NULL,
    account_id            BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    type                  TEXT NOT NULL CHECK (type IN ('whatsapp_cloud', 'telegram', 'webchat', 'email')),
    name                  TEXT NOT NULL,
    default_department_id BLOB REFERENCES departments (id) ON DELETE SET NULL,
    status                TEXT NOT NULL CHECK (status IN ('pending', 'connected', 'disconnected', 'error')),
    status_detail         TEXT,
    settings              TEXT NOT NULL,
    archived_at           INTEGER,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
) STRICT;
CREATE INDEX connections_account_idx ON connections (account_id, id);

CREATE TABLE tags (
    id         BLOB PRIMARY KEY NOT NULL,
    account_id BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    label      TEXT NOT NULL,
    color      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX tags_label_key ON tags (account_id, label);

CREATE TABLE tag_departments (
    account_id    BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    tag_id        BLOB NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    department_id BLOB NOT NULL REFERENCES departments (id) ON DELETE CASCADE,
    PRIMARY KEY (tag_id, department_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE contacts (
    id                    BLOB PRIMARY KEY NOT NULL,
    account_id            BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    connection_id         BLOB NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    name                  TEXT NOT NULL,
    internal_name         TEXT,
    alternative_name      TEXT,
    phone                 TEXT,
    external_id           TEXT,
    email                 TEXT,
    document              TEXT,
    address               TEXT,
    gender                TEXT,
    note                  TEXT,
    blocked               INTEGER NOT NULL DEFAULT 0,
    blocked_reason        TEXT,
    is_group              INTEGER NOT NULL DEFAULT 0,
    visible               INTEGER NOT NULL DEFAULT 1,
    default_department_id BLOB REFERENCES departments (id) ON DELETE SET NULL,
    default_user_id       BLOB REFERENCES users (id) ON DELETE SET NULL,
    last_message_at       INTEGER,
    unread_count          INTEGER NOT NULL DEFAULT 0,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
) STRICT;
CREATE INDEX contacts_account_idx ON contacts (account_id, id);
CREATE UNIQUE INDEX contacts_phone_key ON contacts (connection_id, phone) WHERE phone IS NOT NULL;
CREATE UNIQUE INDEX contacts_external_id_key ON contacts (connection_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE contact_tags (
    account_id BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    contact_id BLOB NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    tag_id     BLOB NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (contact_id, tag_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX contact_tags_tag_idx ON contact_tags (tag_id, contact_id);
