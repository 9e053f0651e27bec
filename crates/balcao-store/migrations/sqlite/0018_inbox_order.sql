-- The inbox: a department's (or an agent's) tickets in some statuses, most recently changed
-- first. With the order's columns in the index, a page is chosen from the index entries alone
-- (a few hundred open tickets sorted by their last change) and only its rows are read.
DROP INDEX tickets_department_status_idx;
CREATE INDEX tickets_department_status_idx ON tickets (account_id, department_id, status, updated_at, id);
DROP INDEX tickets_user_status_idx;
CREATE INDEX tickets_user_status_idx ON tickets (account_id, user_id, status, updated_at, id);
-- The planner's figures for the new indexes (without them it may prefer another index).
ANALYZE tickets_department_status_idx;
ANALYZE tickets_user_status_idx;
