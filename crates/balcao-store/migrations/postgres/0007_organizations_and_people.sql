-- Organizations and people, and the contacts that belong to them; custom field values of
-- tickets use custom_field_values as contacts' do.

CREATE TABLE organizations (
    id         UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    document   TEXT,
    note       TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX organizations_account_idx ON organizations (account_id, id);

CREATE TABLE people (
    id              UUID PRIMARY KEY,
    account_id      UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    document        TEXT,
    email           TEXT,
    organization_id UUID REFERENCES organizations (id) ON DELETE SET NULL,
    note            TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX people_account_idx ON people (account_id, id);

ALTER TABLE contacts ADD COLUMN organization_id UUID REFERENCES organizations (id) ON DELETE SET NULL;
ALTER TABLE contacts ADD COLUMN person_id UUID REFERENCES people (id) ON DELETE SET NULL;
CREATE INDEX contacts_organization_idx ON contacts (organization_id);
CREATE INDEX contacts_person_idx ON contacts (person_id);
