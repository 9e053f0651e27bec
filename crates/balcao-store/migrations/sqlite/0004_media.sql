-- Media: files of messages, stored on disk once per content (by SHA-256), described here.

CREATE TABLE media (
    id         BLOB PRIMARY KEY NOT NULL,
    account_id BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    sha256     TEXT NOT NULL,
    mime_type  TEXT NOT NULL,
    size       INTEGER NOT NULL,
    file_name  TEXT,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX media_account_idx ON media (account_id, id);
CREATE INDEX media_sha256_idx ON media (sha256);

ALTER TABLE messages ADD COLUMN media_id BLOB REFERENCES media (id) ON DELETE SET NULL;
