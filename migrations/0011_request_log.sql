-- The request log as the admin panel reads it: the message a failed request's client received,
-- and indexes for the log's filters and for keyset paging (newest first, ties broken by id).

ALTER TABLE requests ADD COLUMN IF NOT EXISTS error_message text;

-- Keyset paging newest first, ties broken by id: (started_at, id) replaces the index on started_at
-- alone, and (account_id, started_at, id) the one on (account_id, started_at). Filters by user or
-- key also name the owner's account (usage/request-log.ts), so they need no index of their own,
-- which every settlement would pay for. The ledger pages by id per account; its index by time was
-- unused. Each request row and ledger entry keeps three indexes.
CREATE INDEX IF NOT EXISTS requests_time_id ON requests (started_at DESC, id DESC);
DROP INDEX IF EXISTS requests_time;
CREATE INDEX IF NOT EXISTS requests_account_time_id ON requests (account_id, started_at DESC, id DESC);
DROP INDEX IF EXISTS requests_account_time;
CREATE INDEX IF NOT EXISTS ledger_account_id ON ledger (account_id, id DESC);
DROP INDEX IF EXISTS ledger_account_time;

-- settle_leased (migration 0006) with each request's error message: the same batch, then the
-- messages of the rows it just wrote, in the same transaction. A wrapper rather than a new
-- settle_leased, so the money path stays the one function every migration after it can change.
CREATE OR REPLACE FUNCTION settle_leased_logged(
  p_ids text[], p_accounts uuid[], p_costs bigint[],
  p_user_ids uuid[], p_key_ids uuid[], p_endpoints text[], p_model_aliases text[], p_served_models text[],
  p_provider_ids text[], p_upstream_models text[], p_streams boolean[], p_statuses integer[], p_error_codes text[],
  p_prompt integer[], p_completion integer[], p_cached integer[], p_cache_write integer[], p_reasoning integer[],
  p_estimated boolean[], p_price_ids bigint[], p_cache_hits boolean[], p_latency integer[], p_upstream_latency integer[],
  p_attempts jsonb[], p_tags jsonb[], p_instance text, p_started timestamptz[], p_idem_keys text[], p_clamped integer[],
  p_idem jsonb, p_lease_instance text[], p_holds bigint[], p_request_instance text[], p_error_messages text[])
RETURNS TABLE (o_request_id text, o_charged bigint, o_balance bigint, o_held bigint, o_duplicate boolean)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY SELECT * FROM settle_leased(p_ids, p_accounts, p_costs, p_user_ids, p_key_ids, p_endpoints, p_model_aliases,
    p_served_models, p_provider_ids, p_upstream_models, p_streams, p_statuses, p_error_codes, p_prompt, p_completion, p_cached,
    p_cache_write, p_reasoning, p_estimated, p_price_ids, p_cache_hits, p_latency, p_upstream_latency, p_attempts, p_tags,
    p_instance, p_started, p_idem_keys, p_clamped, p_idem, p_lease_instance, p_holds, p_request_instance);
  UPDATE requests r SET error_message = m.message
    FROM unnest(p_ids, p_error_messages) AS m(id, message)
   WHERE m.message IS NOT NULL AND r.id = m.id AND r.error_message IS NULL;
END $$;
