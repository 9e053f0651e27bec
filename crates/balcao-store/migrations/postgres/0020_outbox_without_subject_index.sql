-- Events are read by id (realtime streams, their replay, the dispatcher), never by subject:
-- the subject index only cost every event of every inbound message another index entry.
DROP INDEX outbox_events_subject_idx;
