-- Escrow leases: an instance reserves part of an account's available balance once and takes each
-- request's hold from it in memory, so the hot path makes no Postgres round trip for holds.
--
-- accounts.held = Σ holds.amount + Σ leases.amount, so the CHECK (held <= balance) of 0001 makes
-- "live leases never exceed the balance" a guarantee of Postgres, whatever the gateways do.
--
-- A lease's amount is what its instance may still spend. An instance's own view of it is never
-- larger: it takes a settled request's cost off its view at once, and off the row when the
-- settlement is written (settle_leased), so what it returns (its free part) is always still in
-- the row, and the row always covers the settlements on their way.
--
-- Lock order, as everywhere: the accounts (by id) first, then their leases (by account id).

CREATE TABLE leases (
  account_id   uuid NOT NULL REFERENCES accounts(id) ON DELETE RESTRICT,
  instance_id  text NOT NULL,
  amount       bigint NOT NULL CHECK (amount >= 0),
  expires_at   timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, instance_id)
);

-- Every settlement batch updates a lease row: vacuum it by a fixed number of changes.
ALTER TABLE leases SET (
  autovacuum_vacuum_scale_factor = 0,
  autovacuum_vacuum_threshold = 2000,
  autovacuum_analyze_scale_factor = 0,
  autovacuum_analyze_threshold = 2000,
  autovacuum_vacuum_cost_delay = 0
);

-- acquire_leases: for each account (once per call), grant LEAST(wanted, balance - held) to this
-- instance's lease when that is at least min (else nothing), and extend the lease's expiry.
-- o_fresh: the lease row did not exist before (an instance whose lease was released by the
-- sweeper must not count on what it thought it had). o_lease: the row's amount after.
CREATE FUNCTION acquire_leases(p_accounts uuid[], p_wanted bigint[], p_min bigint[], p_instance text, p_ttl_ms bigint)
RETURNS TABLE (o_account_id uuid, o_granted bigint, o_lease bigint, o_fresh boolean, o_balance bigint, o_held bigint)
LANGUAGE plpgsql AS $$
DECLARE
  it record;
  acct record;
  g bigint;
BEGIN
  PERFORM 1 FROM accounts WHERE id = ANY(p_accounts) ORDER BY id FOR UPDATE;
  FOR it IN
    SELECT * FROM unnest(p_accounts, p_wanted, p_min) AS u(account_id, wanted, min_amount) ORDER BY u.account_id
  LOOP
    o_account_id := it.account_id;
    SELECT a.balance, a.held INTO acct FROM accounts a WHERE a.id = it.account_id;
    IF NOT FOUND THEN
      o_granted := 0; o_lease := 0; o_fresh := true; o_balance := 0; o_held := 0;
      RETURN NEXT;
      CONTINUE;
    END IF;
    g := LEAST(it.wanted, acct.balance - acct.held);
    IF g < GREATEST(it.min_amount, 1) THEN g := 0; END IF;
    o_fresh := NOT EXISTS (SELECT 1 FROM leases l WHERE l.account_id = it.account_id AND l.instance_id = p_instance);
    IF g > 0 OR NOT o_fresh THEN
      INSERT INTO leases AS l (account_id, instance_id, amount, expires_at)
        VALUES (it.account_id, p_instance, g, now() + p_ttl_ms * interval '1 millisecond')
        ON CONFLICT (account_id, instance_id) DO UPDATE SET amount = l.amount + g, expires_at = EXCLUDED.expires_at
        RETURNING l.amount INTO o_lease;
    ELSE
      o_lease := 0;
    END IF;
    IF g > 0 THEN
      UPDATE accounts SET held = held + g WHERE id = it.account_id;
    END IF;
    o_granted := g; o_balance := acct.balance; o_held := acct.held + g;
    RETURN NEXT;
  END LOOP;
END $$;

-- return_leases: give back up to p_amounts of this instance's lease on each account (never more
-- than the row holds). A lease returned to zero is deleted.
CREATE FUNCTION return_leases(p_accounts uuid[], p_amounts bigint[], p_instance text)
RETURNS TABLE (o_account_id uuid, o_returned bigint, o_lease bigint)
LANGUAGE plpgsql AS $$
DECLARE
  it record;
  cur bigint;
BEGIN
  PERFORM 1 FROM accounts WHERE id = ANY(p_accounts) ORDER BY id FOR UPDATE;
  FOR it IN SELECT * FROM unnest(p_accounts, p_amounts) AS u(account_id, amount) ORDER BY u.account_id LOOP
    o_account_id := it.account_id;
    SELECT l.amount INTO cur FROM leases l WHERE l.account_id = it.account_id AND l.instance_id = p_instance FOR UPDATE;
    IF NOT FOUND THEN
      o_returned := 0; o_lease := 0;
      RETURN NEXT;
      CONTINUE;
    END IF;
    o_returned := LEAST(GREATEST(it.amount, 0), cur);
    o_lease := cur - o_returned;
    IF o_lease = 0 THEN
      DELETE FROM leases WHERE account_id = it.account_id AND instance_id = p_instance;
    ELSE
      UPDATE leases SET amount = o_lease WHERE account_id = it.account_id AND instance_id = p_instance;
    END IF;
    UPDATE accounts SET held = held - o_returned WHERE id = it.account_id;
    RETURN NEXT;
  END LOOP;
END $$;

-- renew_leases: extend this instance's leases on these accounts; returns the ones that exist
-- (a missing one was spent to zero, returned, or released by the sweeper).
CREATE FUNCTION renew_leases(p_accounts uuid[], p_instance text, p_ttl_ms bigint)
RETURNS TABLE (o_account_id uuid, o_lease bigint)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM accounts WHERE id = ANY(p_accounts) ORDER BY id FOR UPDATE;
  RETURN QUERY
  UPDATE leases l SET expires_at = now() + p_ttl_ms * interval '1 millisecond'
   WHERE l.instance_id = p_instance AND l.account_id = ANY(p_accounts)
  RETURNING l.account_id, l.amount;
END $$;

-- release_expired_leases: the sweeper. Releases leases whose expiry has passed (their instance
-- died or lost its database) back to their accounts' available balance. Leases of the
-- instances in p_busy (settlements of theirs not yet written) are kept until those are.
CREATE FUNCTION release_expired_leases(p_limit integer, p_busy text[])
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  r record;
  released integer := 0;
BEGIN
  PERFORM 1 FROM accounts
    WHERE id IN (SELECT DISTINCT l.account_id FROM leases l
                  WHERE l.expires_at < now() AND NOT (l.instance_id = ANY(COALESCE(p_busy, '{}'))) LIMIT p_limit)
    ORDER BY id FOR UPDATE;
  FOR r IN
    SELECT l.account_id, l.instance_id, l.amount FROM leases l
     WHERE l.expires_at < now() AND NOT (l.instance_id = ANY(COALESCE(p_busy, '{}')))
     ORDER BY l.account_id
     LIMIT p_limit
     FOR UPDATE SKIP LOCKED
  LOOP
    DELETE FROM leases WHERE account_id = r.account_id AND instance_id = r.instance_id;
    UPDATE accounts SET held = held - r.amount WHERE id = r.account_id;
    released := released + 1;
  END LOOP;
  RETURN released;
END $$;

-- settle_leased: for each finished request, in one transaction for the batch: charge its cost
-- out of the lease its hold came from (balance, held and the lease all go down by the cost),
-- append the ledger entry, write the request row, and complete or release its Idempotency-Key
-- record (p_idem, as in settle_requests). A request whose row exists was settled before and is
-- charged nothing (settlements may be written more than once; they apply once). A cost the lease
-- cannot cover (its lease was released, or the cost exceeds what was held) is charged from what
-- the account has available; the rest is recorded as uncollected, never taken below zero.
-- p_lease_instance names the lease (NULL: the request held nothing); p_holds is each request's
-- hold, for its row.
CREATE FUNCTION settle_leased(
  p_ids text[], p_accounts uuid[], p_costs bigint[],
  p_user_ids uuid[], p_key_ids uuid[], p_endpoints text[], p_model_aliases text[], p_served_models text[],
  p_provider_ids text[], p_upstream_models text[], p_streams boolean[], p_statuses integer[], p_error_codes text[],
  p_prompt integer[], p_completion integer[], p_cached integer[], p_cache_write integer[], p_reasoning integer[],
  p_estimated boolean[], p_price_ids bigint[], p_cache_hits boolean[], p_latency integer[], p_upstream_latency integer[],
  p_attempts jsonb[], p_tags jsonb[], p_instance text, p_started timestamptz[], p_idem_keys text[], p_clamped integer[],
  p_idem jsonb, p_lease_instance text[], p_holds bigint[], p_request_instance text[])
RETURNS TABLE (o_request_id text, o_charged bigint, o_balance bigint, o_held bigint, o_duplicate boolean)
LANGUAGE plpgsql AS $$
DECLARE
  it record;
  acct record;
  from_lease bigint;
  extra bigint;
  done_count bigint;
  dup_ids text[];
  fast_keys text[];
  slow_ids text[] := '{}';
  slow_charged bigint[] := '{}';
BEGIN
  PERFORM 1 FROM accounts WHERE id = ANY(p_accounts) ORDER BY id FOR UPDATE;
  PERFORM 1 FROM leases l
    WHERE (l.account_id, l.instance_id) IN (SELECT * FROM unnest(p_accounts, p_lease_instance))
    ORDER BY l.account_id FOR UPDATE;

  -- A request id may appear once per batch (the caller guarantees it); one already recorded is a duplicate.
  SELECT COALESCE(array_agg(q.id), '{}') INTO dup_ids FROM requests q WHERE q.id = ANY(p_ids);

  -- Fast path: every new cost of a lease fits the lease (or costs nothing).
  SELECT COALESCE(array_agg(t.k), '{}') INTO fast_keys FROM (
    SELECT u.account_id::text || '/' || COALESCE(u.lease, '') AS k, sum(u.cost) AS total, max(l.amount) AS amount
      FROM unnest(p_ids, p_accounts, p_costs, p_lease_instance) AS u(request_id, account_id, cost, lease)
      LEFT JOIN leases l ON l.account_id = u.account_id AND l.instance_id = u.lease
     WHERE NOT (u.request_id = ANY(dup_ids))
     GROUP BY 1
  ) t WHERE t.total = 0 OR t.total <= COALESCE(t.amount, 0);

  WITH x AS (
    SELECT u.*
      FROM unnest(p_ids, p_accounts, p_costs, p_user_ids, p_key_ids, p_endpoints, p_model_aliases, p_served_models,
                  p_provider_ids, p_upstream_models, p_streams, p_statuses, p_error_codes, p_prompt, p_completion,
                  p_cached, p_cache_write, p_reasoning, p_estimated, p_price_ids, p_cache_hits, p_latency,
                  p_upstream_latency, p_attempts, p_tags, p_started, p_idem_keys, p_clamped, p_lease_instance, p_holds,
                  p_request_instance)
           AS u(request_id, account_id, cost, user_id, api_key_id, endpoint, model_alias, served_model, provider_id,
                upstream_model, stream, status, error_code, prompt_tokens, completion_tokens, cached_tokens,
                cache_write_tokens, reasoning_tokens, usage_estimated, price_id, cache_hit, latency_ms,
                upstream_latency_ms, attempts, tags, started_at, idempotency_key, max_tokens_clamped, lease, hold_amt,
                request_instance)
     WHERE NOT (u.request_id = ANY(dup_ids))
       AND (u.account_id::text || '/' || COALESCE(u.lease, '')) = ANY(fast_keys)
  ), lease_upd AS (
    UPDATE leases l SET amount = l.amount - s.total
      FROM (SELECT x.account_id, x.lease, sum(x.cost) AS total FROM x WHERE x.cost > 0 GROUP BY 1, 2) s
     WHERE l.account_id = s.account_id AND l.instance_id = s.lease
    RETURNING 1
  ), acct_upd AS (
    UPDATE accounts a SET balance = a.balance - s.total, held = a.held - s.total, updated_at = now()
      FROM (SELECT x.account_id, sum(x.cost) AS total FROM x WHERE x.cost > 0 GROUP BY 1) s
     WHERE a.id = s.account_id
    RETURNING 1
  ), led AS (
    INSERT INTO ledger (account_id, kind, amount, request_id, note)
    SELECT x.account_id, 'usage', -x.cost, x.request_id, '' FROM x WHERE x.cost > 0
    RETURNING 1
  ), req AS (
    INSERT INTO requests (id, account_id, user_id, api_key_id, endpoint, model_alias, served_model, provider_id,
      upstream_model, stream, status, error_code, prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens,
      reasoning_tokens, usage_estimated, cost, price_id, cache_hit, latency_ms, upstream_latency_ms, attempts, tags,
      instance_id, started_at, finished_at, hold_amount, uncollected, idempotency_key, max_tokens_clamped)
    SELECT x.request_id, x.account_id, x.user_id, x.api_key_id, x.endpoint, x.model_alias, x.served_model, x.provider_id,
      x.upstream_model, x.stream, x.status, x.error_code, x.prompt_tokens, x.completion_tokens, x.cached_tokens,
      x.cache_write_tokens, x.reasoning_tokens, x.usage_estimated, x.cost, x.price_id, x.cache_hit, x.latency_ms,
      x.upstream_latency_ms, x.attempts, x.tags, COALESCE(x.request_instance, p_instance), x.started_at, now(), x.hold_amt, 0,
      x.idempotency_key, x.max_tokens_clamped
      FROM x
    ON CONFLICT (id) DO NOTHING
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM lease_upd) + (SELECT count(*) FROM acct_upd) + (SELECT count(*) FROM led) + (SELECT count(*) FROM req) INTO done_count;

  -- Slow path, in order: what the lease holds, then what the account has available, then uncollected.
  FOR it IN
    SELECT u.*
      FROM unnest(p_ids, p_accounts, p_costs, p_user_ids, p_key_ids, p_endpoints, p_model_aliases, p_served_models,
                  p_provider_ids, p_upstream_models, p_streams, p_statuses, p_error_codes, p_prompt, p_completion,
                  p_cached, p_cache_write, p_reasoning, p_estimated, p_price_ids, p_cache_hits, p_latency,
                  p_upstream_latency, p_attempts, p_tags, p_started, p_idem_keys, p_clamped, p_lease_instance, p_holds,
                  p_request_instance)
           AS u(request_id, account_id, cost, user_id, api_key_id, endpoint, model_alias, served_model, provider_id,
                upstream_model, stream, status, error_code, prompt_tokens, completion_tokens, cached_tokens,
                cache_write_tokens, reasoning_tokens, usage_estimated, price_id, cache_hit, latency_ms,
                upstream_latency_ms, attempts, tags, started_at, idempotency_key, max_tokens_clamped, lease, hold_amt,
                request_instance)
     WHERE NOT (u.request_id = ANY(dup_ids))
       AND NOT ((u.account_id::text || '/' || COALESCE(u.lease, '')) = ANY(fast_keys))
  LOOP
    SELECT COALESCE((SELECT l.amount FROM leases l WHERE l.account_id = it.account_id AND l.instance_id = it.lease), 0) INTO from_lease;
    from_lease := LEAST(it.cost, from_lease);
    IF from_lease > 0 THEN
      UPDATE leases SET amount = amount - from_lease WHERE account_id = it.account_id AND instance_id = it.lease;
      UPDATE accounts SET balance = balance - from_lease, held = held - from_lease WHERE id = it.account_id;
    END IF;
    SELECT a.balance, a.held INTO acct FROM accounts a WHERE a.id = it.account_id;
    extra := GREATEST(0, LEAST(it.cost - from_lease, acct.balance - acct.held));
    UPDATE accounts SET balance = balance - extra, updated_at = now() WHERE id = it.account_id;
    IF from_lease + extra > 0 THEN
      INSERT INTO ledger (account_id, kind, amount, request_id, note) VALUES (it.account_id, 'usage', -(from_lease + extra), it.request_id, '');
    END IF;
    INSERT INTO requests (id, account_id, user_id, api_key_id, endpoint, model_alias, served_model, provider_id,
      upstream_model, stream, status, error_code, prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens,
      reasoning_tokens, usage_estimated, cost, price_id, cache_hit, latency_ms, upstream_latency_ms, attempts, tags,
      instance_id, started_at, finished_at, hold_amount, uncollected, idempotency_key, max_tokens_clamped)
    VALUES (it.request_id, it.account_id, it.user_id, it.api_key_id, it.endpoint, it.model_alias, it.served_model, it.provider_id,
      it.upstream_model, it.stream, it.status, it.error_code, it.prompt_tokens, it.completion_tokens, it.cached_tokens,
      it.cache_write_tokens, it.reasoning_tokens, it.usage_estimated, from_lease + extra, it.price_id, it.cache_hit, it.latency_ms,
      it.upstream_latency_ms, it.attempts, it.tags, COALESCE(it.request_instance, p_instance), it.started_at, now(), it.hold_amt,
      it.cost - from_lease - extra, it.idempotency_key, it.max_tokens_clamped)
    ON CONFLICT (id) DO NOTHING;
    slow_ids := slow_ids || it.request_id;
    slow_charged := slow_charged || (from_lease + extra);
  END LOOP;

  -- A lease spent to zero is gone (its instance's own view of it is zero too).
  DELETE FROM leases l
   WHERE l.amount = 0 AND (l.account_id, l.instance_id) IN (SELECT * FROM unnest(p_accounts, p_lease_instance));

  -- Idempotency-Key records of new requests: complete or release them.
  FOR it IN
    SELECT * FROM jsonb_to_recordset(COALESCE(p_idem, '[]')) AS r(request_id text, account_id uuid, key text, ok boolean,
      status integer, body text, headers jsonb, retention_ms bigint)
    WHERE NOT (r.request_id = ANY(dup_ids))
  LOOP
    IF it.ok THEN
      UPDATE idempotency_keys SET state = 'done', response_status = it.status, response_body = it.body,
             response_headers = it.headers, expires_at = now() + it.retention_ms * interval '1 millisecond'
       WHERE account_id = it.account_id AND key = it.key AND request_id = it.request_id;
    ELSE
      DELETE FROM idempotency_keys WHERE account_id = it.account_id AND key = it.key AND request_id = it.request_id;
    END IF;
  END LOOP;

  RETURN QUERY
  SELECT u.request_id,
         CASE WHEN u.request_id = ANY(dup_ids) THEN 0::bigint
              WHEN s.charged IS NOT NULL THEN s.charged
              ELSE u.cost END,
         a.balance, a.held,
         u.request_id = ANY(dup_ids)
    FROM unnest(p_ids, p_accounts, p_costs) AS u(request_id, account_id, cost)
    JOIN accounts a ON a.id = u.account_id
    LEFT JOIN unnest(slow_ids, slow_charged) AS s(request_id, charged) ON s.request_id = u.request_id;
END $$;

ALTER FUNCTION settle_leased SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION settle_leased SET enable_seqscan = off;
