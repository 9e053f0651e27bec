-- Phone-fragment search compares lower(phone) (phone numbers are digits, so lower() changes
-- nothing), like the other trigram indexes compare lower(name) and the rest. A trigram index
-- over the bare column also serves `phone = ANY(...)`, and the planner, underestimating GIN
-- costs, chose it over the unique (connection_id, phone) key for the inbound lookups of
-- contacts by phone: seconds instead of a millisecond for a batch of a few hundred numbers.
DROP INDEX contacts_phone_trgm_idx;
CREATE INDEX contacts_phone_trgm_idx ON contacts USING gin (lower(phone) gin_trgm_ops);
