-- PostgreSQL's lookup keys (messages by external id, contacts by phone) lead with the value
-- in this version. SQLite plans these lookups on the keys as they are (the account filter is
-- written so that it is never an index there).
SELECT 1;
