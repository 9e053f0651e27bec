-- Custom fields of contacts and tickets, and their values (JSON, normalised by type).

CREATE TABLE custom_fields (
    id          UUID PRIMARY KEY,
    account_id  UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL CHECK (type IN ('text', 'number', 'date', 'boolean', 'select')),
    applies_to  TEXT NOT NULL CHECK (applies_to IN ('contact', 'ticket')),
    options     TEXT NOT NULL,
    archived_at BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX custom_fields_name_key ON custom_fields (account_id, applies_to, name);

CREATE TABLE custom_field_values (
    account_id UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    field_id   UUID NOT NULL REFERENCES custom_fields (id) ON DELETE CASCADE,
    subject_id UUID NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (subject_id, field_id)
);
CREATE INDEX custom_field_values_search_idx ON custom_field_values (field_id, value);
