-- WhatsApp templates, interactive message templates and quick replies.

CREATE TABLE whatsapp_templates (
    id               UUID PRIMARY KEY,
    account_id       UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    connection_id    UUID NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    language         TEXT NOT NULL,
    category         TEXT NOT NULL,
    components       TEXT NOT NULL,
    status           TEXT NOT NULL,
    rejection_reason TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX whatsapp_templates_name_key ON whatsapp_templates (connection_id, name, language);
CREATE INDEX whatsapp_templates_account_idx ON whatsapp_templates (account_id, id);

CREATE TABLE interactive_templates (
    id         UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    type       TEXT NOT NULL,
    header     TEXT,
    body       TEXT NOT NULL,
    footer     TEXT,
    action     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX interactive_templates_name_key ON interactive_templates (account_id, name);

CREATE TABLE quick_replies (
    id         UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    shortcut   TEXT NOT NULL,
    text       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX quick_replies_shortcut_key ON quick_replies (account_id, shortcut);

CREATE TABLE quick_reply_departments (
    account_id     UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    quick_reply_id UUID NOT NULL REFERENCES quick_replies (id) ON DELETE CASCADE,
    department_id  UUID NOT NULL REFERENCES departments (id) ON DELETE CASCADE,
    PRIMARY KEY (quick_reply_id, department_id)
);
CREATE INDEX quick_reply_departments_department_idx ON quick_reply_departments (department_id);
