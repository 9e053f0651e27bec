-- Custom fields of contacts and tickets, and their values (JSON, normalised by type).

CREATE TABLE custom_fields (
    id          BLOB PRIMARY KEY NOT NULL,
    account_id  BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL CHECK (type IN ('text', 'number', 'date', 'boolean', 'select')),
    applies_to  TEXT NOT NULL CHECK (applies_to IN ('contact', 'ticket')),
    options     TEXT NOT NULL,
    archived_at INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX custom_fields_name_key ON custom_fields (account_id, applies_to, name);

CREATE TABLE custom_field_values (
    account_id BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    field_id   BLOB NOT NULL REFERENCES custom_fields (id) ON DELETE CASCADE,
    subject_id BLOB NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (subject_id, field_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX custom_field_values_search_idx ON custom_field_values (field_id, value);
