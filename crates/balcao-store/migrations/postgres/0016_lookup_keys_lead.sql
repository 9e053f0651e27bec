-- The unique keys inbound messages are looked up by lead with the looked-up value (external
-- id, phone) instead of the connection. A batch lookup (`connection_id = $1 AND external_id =
-- ANY($2)`) on a table grown since it was last analysed was planned as a scan of the whole
-- connection's range of the key, filtered afterwards: the planner's default guess is that a
-- connection holds 0.5 % of the rows, while it usually holds all of them. With the value
-- first, every plan that uses the key looks the values up.
DROP INDEX messages_external_id_key;
CREATE UNIQUE INDEX messages_external_id_key ON messages (external_id, connection_id) WHERE external_id IS NOT NULL;
DROP INDEX contacts_phone_key;
CREATE UNIQUE INDEX contacts_phone_key ON contacts (phone, connection_id) WHERE phone IS NOT NULL;
