-- Media: files of messages, stored on disk once per content (by SHA-256), described here.

CREATE TABLE media (
    id         UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    sha256     TEXT NOT NULL,
    mime_type  TEXT NOT NULL,
    size       BIGINT NOT NULL,
    file_name  TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX media_account_idx ON media (account_id, id);
CREATE INDEX media_sha256_idx ON media (sha256);

ALTER TABLE messages ADD COLUMN media_id UUID REFERENCES media (id) ON DELETE SET NULL;
