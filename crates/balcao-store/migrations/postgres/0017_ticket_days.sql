-- Tickets counted per UTC day as they are written, so that statistics over a year read days,
-- not every ticket: one row per day of opening (basis 0) and per day of closing (basis 1, for
-- closed tickets), department, agent and whether the ticket is resolved (department and agent
-- all zeros: none), with the sums and counts of the durations the statistics average. Kept by
-- triggers, so every way a ticket is written, changed or deleted counts; a change adds the
-- ticket's new contribution and takes back its old one.
CREATE TABLE ticket_days (
    account_id    UUID NOT NULL,
    basis         SMALLINT NOT NULL,
    day           BIGINT NOT NULL,
    department_id UUID NOT NULL,
    user_id       UUID NOT NULL,
    resolved      BOOLEAN NOT NULL,
    tickets       BIGINT NOT NULL,
    waiting_sum   BIGINT NOT NULL,
    waiting_n     BIGINT NOT NULL,
    duration_sum  BIGINT NOT NULL,
    duration_n    BIGINT NOT NULL,
    messaging_sum BIGINT NOT NULL,
    messaging_n   BIGINT NOT NULL,
    PRIMARY KEY (account_id, basis, day, department_id, user_id, resolved)
);

INSERT INTO ticket_days
SELECT t.account_id, b.basis, b.at / 86400000000, coalesce(t.department_id, '00000000-0000-0000-0000-000000000000'),
       coalesce(t.user_id, '00000000-0000-0000-0000-000000000000'), t.status = 'resolved', count(*),
       sum(coalesce(t.first_reply_at - t.started_at, 0)), count(t.first_reply_at),
       sum(coalesce(t.ended_at - t.started_at, 0)), count(t.ended_at),
       sum(coalesce(t.ended_at - t.first_reply_at, 0)), count(t.ended_at - t.first_reply_at)
FROM tickets AS t CROSS JOIN LATERAL (VALUES (0::smallint, t.started_at), (1::smallint, t.ended_at)) AS b (basis, at)
WHERE b.at IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6;

-- Inserts are counted once per statement (a group's new tickets are one upsert per row of
-- counts), in key order so that concurrent statements take the rows' locks in the same order.
CREATE FUNCTION ticket_days_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ticket_days
    SELECT t.account_id, b.basis, b.at / 86400000000, coalesce(t.department_id, '00000000-0000-0000-0000-000000000000'),
           coalesce(t.user_id, '00000000-0000-0000-0000-000000000000'), t.status = 'resolved', count(*),
           sum(coalesce(t.first_reply_at - t.started_at, 0)), count(t.first_reply_at),
           sum(coalesce(t.ended_at - t.started_at, 0)), count(t.ended_at),
           sum(coalesce(t.ended_at - t.first_reply_at, 0)), count(t.ended_at - t.first_reply_at)
    FROM inserted AS t CROSS JOIN LATERAL (VALUES (0::smallint, t.started_at), (1::smallint, t.ended_at)) AS b (basis, at)
    WHERE b.at IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5, 6
    ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (account_id, basis, day, department_id, user_id, resolved) DO UPDATE SET
        tickets = ticket_days.tickets + excluded.tickets,
        waiting_sum = ticket_days.waiting_sum + excluded.waiting_sum, waiting_n = ticket_days.waiting_n + excluded.waiting_n,
        duration_sum = ticket_days.duration_sum + excluded.duration_sum, duration_n = ticket_days.duration_n + excluded.duration_n,
        messaging_sum = ticket_days.messaging_sum + excluded.messaging_sum, messaging_n = ticket_days.messaging_n + excluded.messaging_n;
    RETURN NULL;
END $$;
CREATE TRIGGER ticket_days_insert AFTER INSERT ON tickets
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION ticket_days_inserted();

-- One ticket's contribution, added (sign 1) or taken back (sign -1).
CREATE FUNCTION ticket_days_add(t tickets, sign BIGINT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO ticket_days
    SELECT t.account_id, b.basis, b.at / 86400000000, coalesce(t.department_id, '00000000-0000-0000-0000-000000000000'),
           coalesce(t.user_id, '00000000-0000-0000-0000-000000000000'), t.status = 'resolved', sign,
           sign * coalesce(t.first_reply_at - t.started_at, 0), sign * (t.first_reply_at IS NOT NULL)::int,
           sign * coalesce(t.ended_at - t.started_at, 0), sign * (t.ended_at IS NOT NULL)::int,
           sign * coalesce(t.ended_at - t.first_reply_at, 0), sign * (t.ended_at - t.first_reply_at IS NOT NULL)::int
    FROM (VALUES (0::smallint, t.started_at), (1::smallint, t.ended_at)) AS b (basis, at)
    WHERE b.at IS NOT NULL
    ON CONFLICT (account_id, basis, day, department_id, user_id, resolved) DO UPDATE SET
        tickets = ticket_days.tickets + excluded.tickets,
        waiting_sum = ticket_days.waiting_sum + excluded.waiting_sum, waiting_n = ticket_days.waiting_n + excluded.waiting_n,
        duration_sum = ticket_days.duration_sum + excluded.duration_sum, duration_n = ticket_days.duration_n + excluded.duration_n,
        messaging_sum = ticket_days.messaging_sum + excluded.messaging_sum, messaging_n = ticket_days.messaging_n + excluded.messaging_n;
$$;

CREATE FUNCTION ticket_days_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ticket_days_add(OLD, -1);
    IF TG_OP = 'UPDATE' THEN
        PERFORM ticket_days_add(NEW, 1);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER ticket_days_delete AFTER DELETE ON tickets
    FOR EACH ROW EXECUTE FUNCTION ticket_days_changed();
-- Only changes that move a ticket to another row or change its durations (not the many
-- updates of its last message) touch the counts.
CREATE TRIGGER ticket_days_update
    AFTER UPDATE OF status, department_id, user_id, started_at, ended_at, first_reply_at, account_id ON tickets
    FOR EACH ROW
    WHEN ((OLD.status = 'resolved') IS DISTINCT FROM (NEW.status = 'resolved')
          OR OLD.department_id IS DISTINCT FROM NEW.department_id OR OLD.user_id IS DISTINCT FROM NEW.user_id
          OR OLD.started_at IS DISTINCT FROM NEW.started_at OR OLD.ended_at IS DISTINCT FROM NEW.ended_at
          OR OLD.first_reply_at IS DISTINCT FROM NEW.first_reply_at OR OLD.account_id IS DISTINCT FROM NEW.account_id)
    EXECUTE FUNCTION ticket_days_changed();
