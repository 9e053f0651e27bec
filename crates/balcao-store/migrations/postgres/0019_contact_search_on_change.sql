-- Every inbound message updates its contact (last message, unread count). Such an update
-- changes no indexed column, so PostgreSQL can keep it on the row's page without touching the
-- contact's indexes (five of them trigram indexes) when the page has room: leave a tenth of each
-- page free for it. (Pages written from now on; SQLite's migration of the same number stops its
-- search triggers from rewriting a contact's entry on such updates.)
ALTER TABLE contacts SET (fillfactor = 90);
