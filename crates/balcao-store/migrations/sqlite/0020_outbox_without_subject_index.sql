-- Events are read by id (realtime streams, their replay, the dispatcher), never by subject:
-- the subject index only cost every event of every inbound message another index entry (a
-- twentieth of the pages each group of messages wrote to the log).
DROP INDEX outbox_events_subject_idx;
