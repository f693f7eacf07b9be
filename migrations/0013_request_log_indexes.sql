-- Fewer indexes for every settlement to write. Each request row was maintaining five indexes and
-- each ledger entry five, which doubled Postgres' work per request: the request log's filters by
-- user and by key now narrow by the owner's account (one index, extended with id for keyset
-- paging), and the ledger is paged by id, so its index by time is unused.

CREATE INDEX IF NOT EXISTS requests_account_time_id ON requests (account_id, started_at DESC, id DESC);
DROP INDEX IF EXISTS requests_account_time;
DROP INDEX IF EXISTS requests_user_time;
DROP INDEX IF EXISTS requests_key_time;
DROP INDEX IF EXISTS ledger_account_time;
