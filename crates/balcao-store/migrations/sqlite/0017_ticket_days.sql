-- Tickets counted per UTC day as they are written, so that statistics over a year read days,
-- not every ticket: one row per day of opening (basis 0) and per day of closing (basis 1, for
-- closed tickets), department, agent and whether the ticket is resolved (department and agent
-- all zeros: none), with the sums and counts of the durations the statistics average. Kept by
-- triggers, so every way a ticket is written, changed or deleted counts; a change adds the
-- ticket's new contribution and takes back its old one.
CREATE TABLE ticket_days (
    account_id    BLOB NOT NULL,
    basis         INTEGER NOT NULL,
    day           INTEGER NOT NULL,
    department_id BLOB NOT NULL,
    user_id       BLOB NOT NULL,
    resolved      INTEGER NOT NULL,
    tickets       INTEGER NOT NULL,
    waiting_sum   INTEGER NOT NULL,
    waiting_n     INTEGER NOT NULL,
    duration_sum  INTEGER NOT NULL,
    duration_n    INTEGER NOT NULL,
    messaging_sum INTEGER NOT NULL,
    messaging_n   INTEGER NOT NULL,
    PRIMARY KEY (account_id, basis, day, department_id, user_id, resolved)
) STRICT, WITHOUT ROWID;

INSERT INTO ticket_days
SELECT account_id, basis, at / 86400000000, coalesce(department_id, zeroblob(16)), coalesce(user_id, zeroblob(16)),
       status = 'resolved', count(*),
       sum(coalesce(first_reply_at - started_at, 0)), count(first_reply_at),
       sum(coalesce(ended_at - started_at, 0)), count(ended_at),
       sum(coalesce(ended_at - first_reply_at, 0)), count(ended_at - first_reply_at)
FROM (
    SELECT account_id, 0 AS basis, started_at AS at, department_id, user_id, status, started_at, ended_at, first_reply_at
    FROM tickets
    UNION ALL
    SELECT account_id, 1, ended_at, department_id, user_id, status, started_at, ended_at, first_reply_at
    FROM tickets WHERE ended_at IS NOT NULL
)
GROUP BY 1, 2, 3, 4, 5, 6;

CREATE TRIGGER ticket_days_insert AFTER INSERT ON tickets
BEGIN
    INSERT INTO ticket_days
    SELECT new.account_id, b.basis, b.at / 86400000000, coalesce(new.department_id, zeroblob(16)),
           coalesce(new.user_id, zeroblob(16)), new.status = 'resolved', 1,
           coalesce(new.first_reply_at - new.started_at, 0), (new.first_reply_at IS NOT NULL),
           coalesce(new.ended_at - new.started_at, 0), (new.ended_at IS NOT NULL),
           coalesce(new.ended_at - new.first_reply_at, 0), (new.ended_at - new.first_reply_at IS NOT NULL)
    FROM (SELECT 0 AS basis, new.started_at AS at UNION ALL SELECT 1, new.ended_at) AS b
    WHERE b.at IS NOT NULL
    ON CONFLICT (account_id, basis, day, department_id, user_id, resolved) DO UPDATE SET
        tickets = tickets + excluded.tickets, waiting_sum = waiting_sum + excluded.waiting_sum,
        waiting_n = waiting_n + excluded.waiting_n, duration_sum = duration_sum + excluded.duration_sum,
        duration_n = duration_n + excluded.duration_n, messaging_sum = messaging_sum + excluded.messaging_sum,
        messaging_n = messaging_n + excluded.messaging_n;
END;

CREATE TRIGGER ticket_days_delete AFTER DELETE ON tickets
BEGIN
    INSERT INTO ticket_days
    SELECT old.account_id, b.basis, b.at / 86400000000, coalesce(old.department_id, zeroblob(16)),
           coalesce(old.user_id, zeroblob(16)), old.status = 'resolved', -1,
           -coalesce(old.first_reply_at - old.started_at, 0), -(old.first_reply_at IS NOT NULL),
           -coalesce(old.ended_at - old.started_at, 0), -(old.ended_at IS NOT NULL),
           -coalesce(old.ended_at - old.first_reply_at, 0), -(old.ended_at - old.first_reply_at IS NOT NULL)
    FROM (SELECT 0 AS basis, old.started_at AS at UNION ALL SELECT 1, old.ended_at) AS b
    WHERE b.at IS NOT NULL
    ON CONFLICT (account_id, basis, day, department_id, user_id, resolved) DO UPDATE SET
        tickets = tickets + excluded.tickets, waiting_sum = waiting_sum + excluded.waiting_sum,
        waiting_n = waiting_n + excluded.waiting_n, duration_sum = duration_sum + excluded.duration_sum,
        duration_n = duration_n + excluded.duration_n, messaging_sum = messaging_sum + excluded.messaging_sum,
        messaging_n = messaging_n + excluded.messaging_n;
END;

-- Only changes that move a ticket to another row or change its durations (not the many
-- updates of its last message) touch the counts.
CREATE TRIGGER ticket_days_update
AFTER UPDATE OF status, department_id, user_id, started_at, ended_at, first_reply_at, account_id ON tickets
WHEN (old.status = 'resolved') IS NOT (new.status = 'resolved')
     OR old.department_id IS NOT new.department_id OR old.user_id IS NOT new.user_id
     OR old.started_at IS NOT new.started_at OR old.ended_at IS NOT new.ended_at
     OR old.first_reply_at IS NOT new.first_reply_at OR old.account_id IS NOT new.account_id
BEGIN
    INSERT INTO ticket_days
    SELECT old.account_id, b.basis, b.at / 86400000000, coalesce(old.department_id, zeroblob(16)),
           coalesce(old.user_id, zeroblob(16)), old.status = 'resolved', -1,
           -coalesce(old.first_reply_at - old.started_at, 0), -(old.first_reply_at IS NOT NULL),
           -coalesce(old.ended_at - old.started_at, 0), -(old.ended_at IS NOT NULL),
           -coalesce(old.ended_at - old.first_reply_at, 0), -(old.ended_at - old.first_reply_at IS NOT NULL)
    FROM (SELECT 0 AS basis, old.started_at AS at UNION ALL SELECT 1, old.ended_at) AS b
    WHERE b.at IS NOT NULL
    ON CONFLICT (account_id, basis, day, department_id, user_id, resolved) DO UPDATE SET
        tickets = tickets + excluded.tickets, waiting_sum = waiting_sum + excluded.waiting_sum,
        waiting_n = waiting_n + excluded.waiting_n, duration_sum = duration_sum + excluded.duration_sum,
        duration_n = duration_n + excluded.duration_n, messaging_sum = messaging_sum + excluded.messaging_sum,
        messaging_n = messaging_n + excluded.messaging_n;
    INSERT INTO ticket_days
    SELECT new.account_id, b.basis, b.at / 86400000000, coalesce(new.department_id, zeroblob(16)),
           coalesce(new.user_id, zeroblob(16)), new.status = 'resolved', 1,
           coalesce(new.first_reply_at - new.started_at, 0), (new.first_reply_at IS NOT NULL),
           coalesce(new.ended_at - new.started_at, 0), (new.ended_at IS NOT NULL),
           coalesce(new.ended_at - new.first_reply_at, 0), (new.ended_at - new.first_reply_at IS NOT NULL)
    FROM (SELECT 0 AS basis, new.started_at AS at UNION ALL SELECT 1, new.ended_at) AS b
    WHERE b.at IS NOT NULL
    ON CONFLICT (account_id, basis, day, department_id, user_id, resolved) DO UPDATE SET
        tickets = tickets + excluded.tickets, waiting_sum = waiting_sum + excluded.waiting_sum,
        waiting_n = waiting_n + excluded.waiting_n, duration_sum = duration_sum + excluded.duration_sum,
        duration_n = duration_n + excluded.duration_n, messaging_sum = messaging_sum + excluded.messaging_sum,
        messaging_n = messaging_n + excluded.messaging_n;
END;
