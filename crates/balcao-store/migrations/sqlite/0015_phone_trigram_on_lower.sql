-- PostgreSQL's phone trigram index moves to lower(phone) in this version. SQLite's phone
-- fragments are served by the contacts_search FTS5 table, which stays as it is.
SELECT 1;
