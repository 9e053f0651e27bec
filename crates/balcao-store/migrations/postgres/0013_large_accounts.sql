-- What large accounts need: indexes for the inbox and the statistics, messages counted per day
-- as they are written (statistics over a year read days, not millions of messages), and
-- trigram indexes for searching contacts by any fragment of a name, e-mail or phone number.

-- The inbox: a department's (or an agent's) tickets in some statuses.
CREATE INDEX tickets_department_status_idx ON tickets (account_id, department_id, status);
CREATE INDEX tickets_user_status_idx ON tickets (account_id, user_id, status);
-- Snoozed tickets whose time has come (the waker asks every few seconds).
CREATE INDEX tickets_snooze_idx ON tickets (status, snoozed_until);

-- Statistics of tickets opened (or closed) in a period: covering indexes (index-only scans).
CREATE INDEX tickets_started_stats_idx
    ON tickets (account_id, started_at) INCLUDE (status, department_id, user_id, first_reply_at, ended_at);
CREATE INDEX tickets_ended_stats_idx
    ON tickets (account_id, ended_at) INCLUDE (status, department_id, user_id, first_reply_at, started_at)
    WHERE ended_at IS NOT NULL;

-- Messages exchanged with contacts (not notes, not ticket events) per UTC day and writer
-- (`user_id` all zeros: nobody of the company, as for received messages). Kept by triggers,
-- so every way a message is written, changed or deleted counts.
CREATE TABLE message_days (
    account_id UUID NOT NULL,
    day        BIGINT NOT NULL,
    user_id    UUID NOT NULL,
    sent       BIGINT NOT NULL,
    received   BIGINT NOT NULL,
    PRIMARY KEY (account_id, day, user_id)
);

INSERT INTO message_days (account_id, day, user_id, sent, received)
SELECT account_id, created_at / 86400000000, coalesce(user_id, '00000000-0000-0000-0000-000000000000'),
       count(*) FILTER (WHERE direction = 'outbound'), count(*) FILTER (WHERE direction = 'inbound')
FROM messages
WHERE type NOT IN ('note', 'ticket_event')
GROUP BY 1, 2, 3;

-- Inserts are counted once per statement (a group of messages is one upsert per day and writer).
CREATE FUNCTION message_days_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO message_days (account_id, day, user_id, sent, received)
    SELECT account_id, created_at / 86400000000, coalesce(user_id, '00000000-0000-0000-0000-000000000000'),
           count(*) FILTER (WHERE direction = 'outbound'), count(*) FILTER (WHERE direction = 'inbound')
    FROM inserted
    WHERE type NOT IN ('note', 'ticket_event')
    GROUP BY 1, 2, 3
    ON CONFLICT (account_id, day, user_id)
    DO UPDATE SET sent = message_days.sent + excluded.sent, received = message_days.received + excluded.received;
    RETURN NULL;
END $$;
CREATE TRIGGER message_days_insert AFTER INSERT ON messages
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION message_days_inserted();

CREATE FUNCTION message_days_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.type NOT IN ('note', 'ticket_event') THEN
        UPDATE message_days
        SET sent = sent - (OLD.direction = 'outbound')::int, received = received - (OLD.direction = 'inbound')::int
        WHERE account_id = OLD.account_id AND day = OLD.created_at / 86400000000
          AND user_id = coalesce(OLD.user_id, '00000000-0000-0000-0000-000000000000');
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.type NOT IN ('note', 'ticket_event') THEN
        INSERT INTO message_days (account_id, day, user_id, sent, received)
        VALUES (NEW.account_id, NEW.created_at / 86400000000,
                coalesce(NEW.user_id, '00000000-0000-0000-0000-000000000000'),
                (NEW.direction = 'outbound')::int, (NEW.direction = 'inbound')::int)
        ON CONFLICT (account_id, day, user_id)
        DO UPDATE SET sent = message_days.sent + excluded.sent, received = message_days.received + excluded.received;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER message_days_delete AFTER DELETE ON messages
    FOR EACH ROW EXECUTE FUNCTION message_days_changed();
CREATE TRIGGER message_days_update AFTER UPDATE OF type, direction, user_id, created_at ON messages
    FOR EACH ROW
    WHEN (OLD.type IS DISTINCT FROM NEW.type OR OLD.direction IS DISTINCT FROM NEW.direction
          OR OLD.user_id IS DISTINCT FROM NEW.user_id
          OR OLD.created_at / 86400000000 IS DISTINCT FROM NEW.created_at / 86400000000)
    EXECUTE FUNCTION message_days_changed();

-- Messages of the hours at the edges of a period are counted one by one.
CREATE INDEX messages_created_idx ON messages (account_id, created_at);

-- Contact search: trigram indexes on the expressions the search compares (any fragment of three
-- characters or more, case-insensitive).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX contacts_name_trgm_idx ON contacts USING gin (lower(name) gin_trgm_ops);
CREATE INDEX contacts_internal_name_trgm_idx ON contacts USING gin (lower(internal_name) gin_trgm_ops);
CREATE INDEX contacts_alternative_name_trgm_idx ON contacts USING gin (lower(alternative_name) gin_trgm_ops);
CREATE INDEX contacts_email_trgm_idx ON contacts USING gin (lower(email) gin_trgm_ops);
CREATE INDEX contacts_phone_trgm_idx ON contacts USING gin (phone gin_trgm_ops);
