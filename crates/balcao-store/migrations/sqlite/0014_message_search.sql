-- Searching conversations by the words of their messages: a full-text index of the messages'
-- text (words folded to lower case without accents, so "nao" finds "Não"), kept in step with
-- the messages by triggers. Like contacts_search it follows the messages' row ids: after a
-- manual VACUUM, rebuild it with INSERT INTO messages_search (messages_search) VALUES ('rebuild').
CREATE VIRTUAL TABLE messages_search USING fts5(
    text,
    content = 'messages', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO messages_search (messages_search) VALUES ('rebuild');

CREATE TRIGGER messages_search_insert AFTER INSERT ON messages
BEGIN
    INSERT INTO messages_search (rowid, text) VALUES (new.rowid, new.text);
END;

CREATE TRIGGER messages_search_delete AFTER DELETE ON messages
BEGIN
    INSERT INTO messages_search (messages_search, rowid, text) VALUES ('delete', old.rowid, old.text);
END;

-- Delivery reports and other changes rewrite a message's row without changing its text.
CREATE TRIGGER messages_search_update AFTER UPDATE OF text ON messages
WHEN old.text IS NOT new.text
BEGIN
    INSERT INTO messages_search (messages_search, rowid, text) VALUES ('delete', old.rowid, old.text);
    INSERT INTO messages_search (rowid, text) VALUES (new.rowid, new.text);
END;
