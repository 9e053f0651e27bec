-- A contact's search entry is rewritten only when a searched column changes. Every inbound
-- message updates its contact (last message, unread count, profile name) and the update names
-- the column `name` even when it keeps its value: without the condition, each message deleted
-- and re-inserted the contact's trigrams, and each transaction wrote a new search segment.
DROP TRIGGER contacts_search_update;
CREATE TRIGGER contacts_search_update AFTER UPDATE OF name, internal_name, alternative_name, email, phone ON contacts
WHEN old.name IS NOT new.name OR old.internal_name IS NOT new.internal_name
     OR old.alternative_name IS NOT new.alternative_name OR old.email IS NOT new.email
     OR old.phone IS NOT new.phone
BEGIN
    INSERT INTO contacts_search (contacts_search, rowid, name, internal_name, alternative_name, email, phone)
    VALUES ('delete', old.rowid, old.name, old.internal_name, old.alternative_name, old.email, old.phone);
    INSERT INTO contacts_search (rowid, name, internal_name, alternative_name, email, phone)
    VALUES (new.rowid, new.name, new.internal_name, new.alternative_name, new.email, new.phone);
END;
