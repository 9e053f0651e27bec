-- Transactional outbox, connections (channel accounts), tags and contacts.

CREATE TABLE outbox_events (
    id            UUID PRIMARY KEY,
    account_id    UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    subject_type  TEXT NOT NULL,
    subject_id    UUID NOT NULL,
    payload       TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    dispatched_at BIGINT
);
CREATE INDEX outbox_events_pending_idx ON outbox_events (id) WHERE dispatched_at IS NULL;
CREATE INDEX outbox_events_subject_idx ON outbox_events (account_id, subject_id, id);

CREATE TABLE connections (
    id                    UUID PRIMARY KEY,
    account_id            UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    type                  TEXT NOT NULL CHECK (type IN ('whatsapp_cloud', 'telegram', 'webchat', 'email')),
    name                  TEXT NOT NULL,
    default_department_id UUID REFERENCES departments (id) ON DELETE SET NULL,
    status                TEXT NOT NULL CHECK (status IN ('pending', 'connected', 'disconnected', 'error')),
    status_detail         TEXT,
    settings              TEXT NOT NULL,
    archived_at           BIGINT,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);
CREATE INDEX connections_account_idx ON connections (account_id, id);

CREATE TABLE tags (
    id         UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    label      TEXT NOT NULL,
    color      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX tags_label_key ON tags (account_id, label);

CREATE TABLE tag_departments (
    account_id    UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    tag_id        UUID NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    department_id UUID NOT NULL REFERENCES departments (id) ON DELETE CASCADE,
    PRIMARY KEY (tag_id, department_id)
);

CREATE TABLE contacts (
    id                    UUID PRIMARY KEY,
    account_id            UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    connection_id         UUID NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
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
    blocked               BOOLEAN NOT NULL DEFAULT FALSE,
    blocked_reason        TEXT,
    is_group              BOOLEAN NOT NULL DEFAULT FALSE,
    visible               BOOLEAN NOT NULL DEFAULT TRUE,
    default_department_id UUID REFERENCES departments (id) ON DELETE SET NULL,
    default_user_id       UUID REFERENCES users (id) ON DELETE SET NULL,
    last_message_at       BIGINT,
    unread_count          BIGINT NOT NULL DEFAULT 0,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);
CREATE INDEX contacts_account_idx ON contacts (account_id, id);
CREATE UNIQUE INDEX contacts_phone_key ON contacts (connection_id, phone) WHERE phone IS NOT NULL;
CREATE UNIQUE INDEX contacts_external_id_key ON contacts (connection_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE contact_tags (
    account_id UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    contact_id UUID NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    tag_id     UUID NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (contact_id, tag_id)
);
CREATE INDEX contact_tags_tag_idx ON contact_tags (tag_id, contact_id);
