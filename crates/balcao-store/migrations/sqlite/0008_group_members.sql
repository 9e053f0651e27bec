-- Members of group contacts (WhatsApp groups), by phone, with their admin flag.

CREATE TABLE contact_group_members (
    account_id BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    group_id   BLOB NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    phone      TEXT NOT NULL,
    name       TEXT,
    is_admin   INTEGER NOT NULL,
    PRIMARY KEY (group_id, phone)
) STRICT, WITHOUT ROWID;
