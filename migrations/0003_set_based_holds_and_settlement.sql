-- Holds and settlement, set-based and columnar. The benchmark showed the 0002 functions spend
-- their time on per-item statement start-up and on parsing jsonb items (a request row as JSON
-- costs more to parse than to insert). These versions take one array per column and handle a
-- whole batch in a few statements in the common case, keeping the exact sequential logic only
-- for the rare tight cases:
--   place_holds:      accounts whose every item fits at its full amount (fast), else in order;
--   settle_requests:  items whose cost fits their own hold (fast), else in order, capped by
--                     what the account holds.
-- Semantics and the lock order (accounts by id, then holds) are those of 0002. Results are
-- matched to items by request id.

DROP FUNCTION place_holds(jsonb);
DROP FUNCTION settle_requests(jsonb);

-- holds is small (requests in flight only): the sweeper scans it; no secondary index is
-- worth its write cost on every request.
DROP INDEX IF EXISTS holds_expiry;
DROP INDEX IF EXISTS holds_account;

-- Cost of n output tokens = ceil((prompt + n × out_price) × mult / 10^10) microcredits, the
-- formula of src/credits/money.ts priceTokens. Granted -1 = refused.
CREATE FUNCTION place_holds(
  p_ids text[], p_accounts uuid[], p_prompt numeric[], p_out_price numeric[], p_max_out bigint[],
  p_min_out bigint[], p_mult numeric[], p_expires_ms bigint[], p_instance text)
RETURNS TABLE (o_request_id text, o_granted_out bigint, o_amount bigint, o_balance bigint, o_held bigint)
LANGUAGE plpgsql AS $$
DECLARE
  it record;
  acct record;
  avail numeric;
  n bigint;
  amt numeric;
  easy uuid[];
BEGIN
  PERFORM 1 FROM accounts WHERE id = ANY(p_accounts) ORDER BY id FOR UPDATE;

  -- Fast path: every item of these accounts fits at its full amount.
  SELECT COALESCE(array_agg(t.account_id), '{}') INTO easy FROM (
    SELECT u.account_id, sum(ceil((u.prompt + u.max_out * u.out_price) * u.mult / 10000000000)) AS total
      FROM unnest(p_accounts, p_prompt, p_out_price, p_max_out, p_mult) AS u(account_id, prompt, out_price, max_out, mult)
     GROUP BY u.account_id
  ) t JOIN accounts a ON a.id = t.account_id
  WHERE a.balance - a.held >= t.total;

  RETURN QUERY
  WITH x AS (
    SELECT u.request_id, u.account_id, u.max_out, u.expires_ms,
           ceil((u.prompt + u.max_out * u.out_price) * u.mult / 10000000000)::bigint AS amt
      FROM unnest(p_ids, p_accounts, p_prompt, p_out_price, p_max_out, p_mult, p_expires_ms)
           AS u(request_id, account_id, prompt, out_price, max_out, mult, expires_ms)
     WHERE u.account_id = ANY(easy)
  ), ins AS (
    INSERT INTO holds (request_id, account_id, amount, instance_id, expires_at)
    SELECT x.request_id, x.account_id, x.amt, p_instance, now() + x.expires_ms * interval '1 millisecond' FROM x
    ON CONFLICT (request_id) DO NOTHING
    RETURNING holds.request_id, holds.account_id, holds.amount
  ), upd AS (
    UPDATE accounts a SET held = a.held + s.total
      FROM (SELECT ins.account_id, sum(ins.amount) AS total FROM ins GROUP BY ins.account_id) s
     WHERE a.id = s.account_id
    RETURNING a.id, a.balance, a.held
  )
  SELECT x.request_id,
         CASE WHEN ins.request_id IS NULL THEN -1 ELSE x.max_out END,
         COALESCE(ins.amount, 0),
         COALESCE(upd.balance, 0),
         COALESCE(upd.held, 0)
    FROM x LEFT JOIN ins ON ins.request_id = x.request_id LEFT JOIN upd ON upd.id = x.account_id;

  -- Tight accounts: in order, granting what the balance affords (clamping max_out).
  FOR it IN
    SELECT * FROM unnest(p_ids, p_accounts, p_prompt, p_out_price, p_max_out, p_min_out, p_mult, p_expires_ms)
      AS u(request_id, account_id, prompt, out_price, max_out, min_out, mult, expires_ms)
    WHERE NOT (u.account_id = ANY(easy))
  LOOP
    o_request_id := it.request_id;
    SELECT a.balance, a.held INTO acct FROM accounts a WHERE a.id = it.account_id;
    IF NOT FOUND THEN
      o_granted_out := -1; o_amount := 0; o_balance := 0; o_held := 0;
      RETURN NEXT;
      CONTINUE;
    END IF;
    avail := acct.balance - acct.held;
    n := it.max_out;
    amt := ceil((it.prompt + n * it.out_price) * it.mult / 10000000000);
    IF amt > avail THEN
      IF it.out_price > 0 THEN
        n := floor((avail * 10000000000 - it.prompt * it.mult) / (it.out_price * it.mult));
      ELSE
        n := -1;
      END IF;
      IF n < it.min_out OR n < 0 THEN
        o_granted_out := -1; o_amount := 0; o_balance := acct.balance; o_held := acct.held;
        RETURN NEXT;
        CONTINUE;
      END IF;
      amt := ceil((it.prompt + n * it.out_price) * it.mult / 10000000000);
    END IF;
    INSERT INTO holds (request_id, account_id, amount, instance_id, expires_at)
      VALUES (it.request_id, it.account_id, amt::bigint, p_instance, now() + it.expires_ms * interval '1 millisecond')
      ON CONFLICT (request_id) DO NOTHING;
    IF NOT FOUND THEN
      o_granted_out := -1; o_amount := 0; o_balance := acct.balance; o_held := acct.held;
      RETURN NEXT;
      CONTINUE;
    END IF;
    UPDATE accounts SET held = held + amt::bigint WHERE id = it.account_id;
    o_granted_out := n; o_amount := amt::bigint; o_balance := acct.balance; o_held := acct.held + amt::bigint;
    RETURN NEXT;
  END LOOP;
END $$;

-- settle_requests: for each finished request, in one transaction for the batch: release its
-- hold, charge its cost (never more than the account can pay beyond its other holds; the rest
-- is recorded as uncollected), append the ledger entry, write the request row (one array per
-- requests column), and complete or release its Idempotency-Key record (p_idem, a jsonb list of
-- the few requests that have one). A request whose row already exists was settled before: it
-- only gives back a hold and is charged nothing.
CREATE FUNCTION settle_requests(
  p_ids text[], p_accounts uuid[], p_costs bigint[],
  p_user_ids uuid[], p_key_ids uuid[], p_endpoints text[], p_model_aliases text[], p_served_models text[],
  p_provider_ids text[], p_upstream_models text[], p_streams boolean[], p_statuses integer[], p_error_codes text[],
  p_prompt integer[], p_completion integer[], p_cached integer[], p_cache_write integer[], p_reasoning integer[],
  p_estimated boolean[], p_price_ids bigint[], p_cache_hits boolean[], p_latency integer[], p_upstream_latency integer[],
  p_attempts jsonb[], p_tags jsonb[], p_instance text, p_started timestamptz[], p_idem_keys text[], p_clamped integer[],
  p_idem jsonb)
RETURNS TABLE (o_request_id text, o_charged bigint, o_balance bigint, o_held bigint, o_duplicate boolean)
LANGUAGE plpgsql AS $$
DECLARE
  it record;
  acct record;
  charged bigint;
  done_count bigint;
  released_ids text[];
  released_amts bigint[];
  dup_ids text[];
  slow_ids text[] := '{}';
  slow_charged bigint[] := '{}';
BEGIN
  PERFORM 1 FROM accounts WHERE id = ANY(p_accounts) ORDER BY id FOR UPDATE;

  WITH d AS (DELETE FROM holds h WHERE h.request_id = ANY(p_ids) RETURNING h.request_id, h.amount)
  SELECT COALESCE(array_agg(d.request_id), '{}'), COALESCE(array_agg(d.amount), '{}') INTO released_ids, released_amts FROM d;
  SELECT COALESCE(array_agg(q.id), '{}') INTO dup_ids FROM requests q WHERE q.id = ANY(p_ids);

  -- Fast path: the cost fits the request's own hold.
  WITH x AS (
    SELECT u.*, COALESCE(h.amount, 0) AS hold_amt, u.request_id = ANY(dup_ids) AS dup
      FROM unnest(p_ids, p_accounts, p_costs, p_user_ids, p_key_ids, p_endpoints, p_model_aliases, p_served_models,
                  p_provider_ids, p_upstream_models, p_streams, p_statuses, p_error_codes, p_prompt, p_completion,
                  p_cached, p_cache_write, p_reasoning, p_estimated, p_price_ids, p_cache_hits, p_latency,
                  p_upstream_latency, p_attempts, p_tags, p_started, p_idem_keys, p_clamped)
           AS u(request_id, account_id, cost, user_id, api_key_id, endpoint, model_alias, served_model, provider_id,
                upstream_model, stream, status, error_code, prompt_tokens, completion_tokens, cached_tokens,
                cache_write_tokens, reasoning_tokens, usage_estimated, price_id, cache_hit, latency_ms,
                upstream_latency_ms, attempts, tags, started_at, idempotency_key, max_tokens_clamped)
      LEFT JOIN unnest(released_ids, released_amts) AS h(request_id, amount) ON h.request_id = u.request_id
  ), fast AS (
    SELECT * FROM x WHERE NOT x.dup AND x.cost <= x.hold_amt
  ), acct_upd AS (
    UPDATE accounts a SET balance = a.balance - s.charged, held = a.held - s.released, updated_at = now()
      FROM (SELECT x.account_id, sum(CASE WHEN x.dup THEN 0 ELSE x.cost END) AS charged, sum(x.hold_amt) AS released
              FROM x WHERE x.dup OR x.cost <= x.hold_amt GROUP BY x.account_id) s
     WHERE a.id = s.account_id
    RETURNING 1
  ), led AS (
    INSERT INTO ledger (account_id, kind, amount, request_id, note)
    SELECT f.account_id, 'usage', -f.cost, f.request_id, '' FROM fast f WHERE f.cost > 0
    RETURNING 1
  ), req AS (
    INSERT INTO requests (id, account_id, user_id, api_key_id, endpoint, model_alias, served_model, provider_id,
      upstream_model, stream, status, error_code, prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens,
      reasoning_tokens, usage_estimated, cost, price_id, cache_hit, latency_ms, upstream_latency_ms, attempts, tags,
      instance_id, started_at, finished_at, hold_amount, uncollected, idempotency_key, max_tokens_clamped)
    SELECT f.request_id, f.account_id, f.user_id, f.api_key_id, f.endpoint, f.model_alias, f.served_model, f.provider_id,
      f.upstream_model, f.stream, f.status, f.error_code, f.prompt_tokens, f.completion_tokens, f.cached_tokens,
      f.cache_write_tokens, f.reasoning_tokens, f.usage_estimated, f.cost, f.price_id, f.cache_hit, f.latency_ms,
      f.upstream_latency_ms, f.attempts, f.tags, p_instance, f.started_at, now(), f.hold_amt, 0, f.idempotency_key,
      f.max_tokens_clamped
      FROM fast f
    ON CONFLICT (id) DO NOTHING
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM acct_upd) + (SELECT count(*) FROM led) + (SELECT count(*) FROM req) INTO done_count;

  -- Slow path: the cost exceeds the hold (or no hold was found).
  FOR it IN
    SELECT u.*, COALESCE(h.amount, 0) AS hold_amt
      FROM unnest(p_ids, p_accounts, p_costs, p_user_ids, p_key_ids, p_endpoints, p_model_aliases, p_served_models,
                  p_provider_ids, p_upstream_models, p_streams, p_statuses, p_error_codes, p_prompt, p_completion,
                  p_cached, p_cache_write, p_reasoning, p_estimated, p_price_ids, p_cache_hits, p_latency,
                  p_upstream_latency, p_attempts, p_tags, p_started, p_idem_keys, p_clamped)
           AS u(request_id, account_id, cost, user_id, api_key_id, endpoint, model_alias, served_model, provider_id,
                upstream_model, stream, status, error_code, prompt_tokens, completion_tokens, cached_tokens,
                cache_write_tokens, reasoning_tokens, usage_estimated, price_id, cache_hit, latency_ms,
                upstream_latency_ms, attempts, tags, started_at, idempotency_key, max_tokens_clamped)
      LEFT JOIN unnest(released_ids, released_amts) AS h(request_id, amount) ON h.request_id = u.request_id
     WHERE u.cost > COALESCE(h.amount, 0) AND NOT (u.request_id = ANY(dup_ids))
  LOOP
    SELECT a.balance, a.held INTO acct FROM accounts a WHERE a.id = it.account_id;
    charged := GREATEST(0, LEAST(it.cost, acct.balance - (acct.held - it.hold_amt)));
    UPDATE accounts SET balance = balance - charged, held = held - it.hold_amt, updated_at = now() WHERE id = it.account_id;
    IF charged > 0 THEN
      INSERT INTO ledger (account_id, kind, amount, request_id, note) VALUES (it.account_id, 'usage', -charged, it.request_id, '');
    END IF;
    INSERT INTO requests (id, account_id, user_id, api_key_id, endpoint, model_alias, served_model, provider_id,
      upstream_model, stream, status, error_code, prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens,
      reasoning_tokens, usage_estimated, cost, price_id, cache_hit, latency_ms, upstream_latency_ms, attempts, tags,
      instance_id, started_at, finished_at, hold_amount, uncollected, idempotency_key, max_tokens_clamped)
    VALUES (it.request_id, it.account_id, it.user_id, it.api_key_id, it.endpoint, it.model_alias, it.served_model, it.provider_id,
      it.upstream_model, it.stream, it.status, it.error_code, it.prompt_tokens, it.completion_tokens, it.cached_tokens,
      it.cache_write_tokens, it.reasoning_tokens, it.usage_estimated, charged, it.price_id, it.cache_hit, it.latency_ms,
      it.upstream_latency_ms, it.attempts, it.tags, p_instance, it.started_at, now(), it.hold_amt, it.cost - charged,
      it.idempotency_key, it.max_tokens_clamped)
    ON CONFLICT (id) DO NOTHING;
    slow_ids := slow_ids || it.request_id;
    slow_charged := slow_charged || charged;
  END LOOP;

  -- Idempotency-Key records: complete or release them.
  FOR it IN
    SELECT * FROM jsonb_to_recordset(COALESCE(p_idem, '[]')) AS r(request_id text, account_id uuid, key text, ok boolean,
      status integer, body text, headers jsonb, retention_ms bigint)
  LOOP
    IF it.ok THEN
      UPDATE idempotency_keys SET state = 'done', response_status = it.status, response_body = it.body,
             response_headers = it.headers, expires_at = now() + it.retention_ms * interval '1 millisecond'
       WHERE account_id = it.account_id AND key = it.key AND request_id = it.request_id;
    ELSE
      DELETE FROM idempotency_keys WHERE account_id = it.account_id AND key = it.key AND request_id = it.request_id;
    END IF;
  END LOOP;

  -- One result per item: what it was charged now, and its account's balance and held after.
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
