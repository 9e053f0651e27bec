-- What large accounts need: indexes for the inbox and the statistics, messages counted per day
-- as they are written (statistics over a year read days, not millions of messages), and a
-- trigram index for searching contacts by any fragment of a name, e-mail or phone number.

-- The inbox: a department's (or an agent's) tickets in some statuses.
CREATE INDEX tickets_department_status_idx ON tickets (account_id, department_id, status);
CREATE INDEX tickets_user_status_idx ON tickets (account_id, user_id, status);
-- Snoozed tickets whose time has come (the waker asks every few seconds).
CREATE INDEX tickets_snooze_idx ON tickets (status, snoozed_until);

-- Statistics of tickets opened (or closed) in a period: covering indexes, so a year of tickets
-- is read from the index alone.
CREATE INDEX tickets_started_stats_idx
    ON tickets (account_id, started_at, status, department_id, user_id, first_reply_at, ended_at);
CREATE INDEX tickets_ended_stats_idx
    ON tickets (account_id, ended_at, status, department_id, user_id, first_reply_at, started_at)
    WHERE ended_at IS NOT NULL;

-- Messages exchanged with contacts (not notes, not ticket events) per UTC day and writer
-- (`user_id` all zeros: nobody of the company, as for received messages). Kept by triggers,
-- so every way a message is written, changed or deleted counts.
CREATE TABLE message_days (
    account_id BLOB NOT NULL,
    day        INTEGER NOT NULL,
    user_id    BLOB NOT NULL,
    sent       INTEGER NOT NULL,
    received   INTEGER NOT NULL,
    PRIMARY KEY (account_id, day, user_id)
) STRICT, WITHOUT ROWID;

INSERT INTO message_days (account_id, day, user_id, sent, received)
SELECT account_id, created_at / 86400000000, coalesce(user_id, zeroblob(16)),
       sum(direction = 'outbound'), sum(direction = 'inbound')
FROM messages
WHERE type NOT IN ('note', 'ticket_event')
GROUP BY 1, 2, 3;

CREATE TRIGGER message_days_insert AFTER INSERT ON messages
WHEN new.type NOT IN ('note', 'ticket_event')
BEGIN
    INSERT INTO message_days (account_id, day, user_id, sent, received)
    VALUES (new.account_id, new.created_at / 86400000000, coalesce(new.user_id, zeroblob(16)),
            new.direction = 'outbound', new.direction = 'inbound')
    ON CONFLICT (account_id, day, user_id)
    DO UPDATE SET sent = sent + excluded.sent, received = received + excluded.received;
END;

CREATE TRIGGER message_days_delete AFTER DELETE ON messages
WHEN old.type NOT IN ('note', 'ticket_event')
BEGIN
    UPDATE message_days
    SET sent = sent - (old.direction = 'outbound'), received = received - (old.direction = 'inbound')
    WHERE account_id = old.account_id AND day = old.created_at / 86400000000
      AND user_id = coalesce(old.user_id, zeroblob(16));
END;

CREATE TRIGGER message_days_update AFTER UPDATE OF type, direction, user_id, created_at ON messages
WHEN old.type IS NOT new.type OR old.direction IS NOT new.direction OR old.user_id IS NOT new.user_id
     OR old.created_at / 86400000000 IS NOT new.created_at / 86400000000
BEGIN
    UPDATE message_days
    SET sent = sent - (old.direction = 'outbound'), received = received - (old.direction = 'inbound')
    WHERE old.type NOT IN ('note', 'ticket_event')
      AND account_id = old.account_id AND day = old.created_at / 86400000000
      AND user_id = coalesce(old.user_id, zeroblob(16));
    INSERT INTO message_days (account_id, day, user_id, sent, received)
    SELECT new.account_id, new.created_at / 86400000000, coalesce(new.user_id, zeroblob(16)),
           new.direction = 'outbound', new.direction = 'inbound'
    WHERE new.type NOT IN ('note', 'ticket_event')
    ON CONFLICT (account_id, day, user_id)
    DO UPDATE SET sent = sent + excluded.sent, received = received + excluded.received;
END;

-- Messages of the hours at the edges of a period are counted one by one.
CREATE INDEX messages_created_idx ON messages (account_id, created_at);

-- Contact search: trigrams of the names, e-mail and phone number (any fragment of three
-- characters or more, case-insensitive), kept in step with the contacts by triggers. It
-- follows the contacts' row ids: after a manual VACUUM, rebuild it with
-- INSERT INTO contacts_search (contacts_search) VALUES ('rebuild').
CREATE VIRTUAL TABLE contacts_search USING fts5(
    name, internal_name, alternative_name, email, phone,
    content = 'contacts', content_rowid = 'rowid', tokenize = 'trigram'
);
INSERT INTO contacts_search (contacts_search) VALUES ('rebuild');

CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts
BEGIN
    INSERT INTO contacts_search (rowid, name, internal_name, alternative_name, email, phone)
    VALUES (new.rowid, new.name, new.internal_name, new.alternative_name, new.email, new.phone);
END;

CREATE TRIGGER contacts_search_delete AFTER DELETE ON contacts
BEGIN
    INSERT INTO contacts_search (contacts_search, rowid, name, internal_name, alternative_name, email, phone)
    VALUES ('delete', old.rowid, old.name, old.internal_name, old.alternative_name, old.email, old.phone);
END;

CREATE TRIGGER contacts_search_update AFTER UPDATE OF name, internal_name, alternative_name, email, phone ON contacts
BEGIN
    INSERT INTO contacts_search (contacts_search, rowid, name, internal_name, alternative_name, email, phone)
    VALUES ('delete', old.rowid, old.name, old.internal_name, old.alternative_name, old.email, old.phone);
    INSERT INTO contacts_search (rowid, name, internal_name, alternative_name, email, phone)
    VALUES (new.rowid, new.name, new.internal_name, new.alternative_name, new.email, new.phone);
END;
