-- A cap is reached when it refuses a request, not only when its whole limit is spent.
--
-- Admission refuses a capped request once the cap's headroom is below the request's least cost,
-- so spend stops just under the limit and a 100 % budget alert (0010) would never fire. The
-- refusal is recorded on the cap's row for the period (budget_usage.refused_at, set by
-- reserve_budgets under the row lock it already holds, once per period and limit), and
-- fire_alerts counts a refused period as its whole limit spent. Firing stays once per (alert,
-- threshold, period) across instances: alert_firings' primary key (0010).

ALTER TABLE budget_usage ADD COLUMN IF NOT EXISTS refused_at timestamptz;

-- reserve_budgets (0008), recording a refusal that lasts the period.
CREATE OR REPLACE FUNCTION reserve_budgets(p_request text, p_key uuid, p_user uuid, p_wanted bigint, p_min bigint, p_instance text, p_ttl_ms bigint)
RETURNS TABLE (o_granted bigint, o_budget_id bigint, o_scope text, o_period text, o_period_start date, o_limit bigint, o_spent bigint, o_reserved bigint)
LANGUAGE plpgsql AS $$
DECLARE
  r record;
  ids bigint[] := '{}';
  starts date[] := '{}';
  scopes text[] := '{}';
  periods text[] := '{}';
  limits bigint[] := '{}';
  spents bigint[] := '{}';
  reserveds bigint[] := '{}';
  g bigint := p_wanted;
BEGIN
  INSERT INTO budget_usage (budget_id, period_start)
  SELECT b.id, budget_period_start(b.period, now()) FROM budgets b WHERE b.api_key_id = p_key OR b.user_id = p_user
  ORDER BY 1
  ON CONFLICT DO NOTHING;
  FOR r IN
    SELECT b.id, CASE WHEN b.api_key_id IS NOT NULL THEN 'key' ELSE 'user' END AS scope, b.period, u.period_start,
           b.limit_amount, u.spent, u.reserved
      FROM budgets b JOIN budget_usage u ON u.budget_id = b.id AND u.period_start = budget_period_start(b.period, now())
     WHERE b.api_key_id = p_key OR b.user_id = p_user
     ORDER BY u.budget_id, u.period_start
       FOR UPDATE OF u
  LOOP
    ids := ids || r.id; starts := starts || r.period_start; scopes := scopes || r.scope; periods := periods || r.period;
    limits := limits || r.limit_amount; spents := spents || r.spent; reserveds := reserveds || r.reserved;
    g := LEAST(g, r.limit_amount - r.spent - r.reserved);
  END LOOP;
  IF cardinality(ids) = 0 THEN
    RETURN QUERY SELECT p_wanted, NULL::bigint, NULL::text, NULL::text, NULL::date, NULL::bigint, NULL::bigint, NULL::bigint;
    RETURN;
  END IF;
  IF g < GREATEST(p_min, 1) THEN
    g := 0;
    -- A cap that cannot fit this request's least cost even with nothing reserved has refused it
    -- for the rest of its period (spent only grows): record it once per period and limit, for
    -- fire_alerts. A refusal only in-flight reservations cause is not recorded.
    UPDATE budget_usage u SET refused_at = now()
      FROM unnest(ids, starts, limits, spents) AS x(id, ps, lim, spent), budgets b
     WHERE u.budget_id = x.id AND u.period_start = x.ps AND b.id = x.id AND x.lim - x.spent < GREATEST(p_min, 1)
       AND (u.refused_at IS NULL OR u.refused_at < b.updated_at);
  ELSE
    INSERT INTO budget_reservations (request_id, budget_id, period_start, amount, instance_id, expires_at)
    SELECT p_request, x.id, x.ps, g, p_instance, now() + p_ttl_ms * interval '1 millisecond' FROM unnest(ids, starts) AS x(id, ps);
    UPDATE budget_usage u SET reserved = u.reserved + g
      FROM unnest(ids, starts) AS x(id, ps) WHERE u.budget_id = x.id AND u.period_start = x.ps;
  END IF;
  -- Tightest cap first (the one that decides), as it was before this reservation.
  RETURN QUERY
  SELECT g, x.id, x.scope, x.period, x.ps, x.lim, x.spent, x.reserved
    FROM unnest(ids, scopes, periods, starts, limits, spents, reserveds) AS x(id, scope, period, ps, lim, spent, reserved)
   ORDER BY x.lim - x.spent - x.reserved, x.id;
END $$;

-- fire_alerts (0010): a budget period that refused a request counts as its limit reached.
CREATE OR REPLACE FUNCTION fire_alerts() RETURNS integer
LANGUAGE sql AS $$
  WITH crossed AS (
    SELECT a.id AS alert_id, a.webhook_id, t.threshold, 'funded:' || COALESCE(f.last_funding, 0)::text AS period_key,
           jsonb_build_object('alert_id', a.id, 'kind', a.kind, 'account_id', a.account_id,
             'threshold_microcredits', t.threshold::text, 'threshold', to_char(t.threshold / 1000000.0, 'FM999999999990.000000'),
             'balance_microcredits', acc.balance::text, 'balance', to_char(acc.balance / 1000000.0, 'FM999999999990.000000')) AS data
      FROM alerts a
      JOIN accounts acc ON acc.id = a.account_id
      CROSS JOIN LATERAL unnest(a.thresholds) AS t(threshold)
      LEFT JOIN LATERAL (SELECT max(l.id) AS last_funding FROM ledger l
                          WHERE l.account_id = a.account_id AND l.kind <> 'usage' AND l.amount > 0) f ON true
     WHERE a.kind = 'low_balance' AND acc.balance < t.threshold
    UNION ALL
    SELECT a.id, a.webhook_id, t.threshold, b.period || ':' || to_char(u.period_start, 'YYYY-MM-DD'),
           jsonb_build_object('alert_id', a.id, 'kind', a.kind, 'scope', CASE WHEN b.api_key_id IS NOT NULL THEN 'key' ELSE 'user' END,
             'api_key_id', b.api_key_id, 'user_id', b.user_id, 'period', b.period, 'period_start', to_char(u.period_start, 'YYYY-MM-DD'),
             'threshold_percent', t.threshold, 'limit_microcredits', b.limit_amount::text, 'spent_microcredits', u.spent::text,
             'limit', to_char(b.limit_amount / 1000000.0, 'FM999999999990.000000'), 'spent', to_char(u.spent / 1000000.0, 'FM999999999990.000000'),
             'cap_reached', r.reached)
      FROM alerts a
      JOIN budgets b ON b.period = a.period AND (b.api_key_id = a.api_key_id OR b.user_id = a.user_id)
      JOIN budget_usage u ON u.budget_id = b.id AND u.period_start = budget_period_start(b.period, now())
      -- Reached: spent the whole limit, or refused a request under the limit as it stands now.
      CROSS JOIN LATERAL (SELECT u.spent >= b.limit_amount OR COALESCE(u.refused_at >= b.updated_at, false) AS reached) r
      CROSS JOIN LATERAL unnest(a.thresholds) AS t(threshold)
     WHERE a.kind = 'budget' AND (CASE WHEN r.reached THEN GREATEST(u.spent, b.limit_amount) ELSE u.spent END) * 100 >= b.limit_amount * t.threshold
  ), fired AS (
    INSERT INTO alert_firings (alert_id, threshold, period_key)
    SELECT alert_id, threshold, period_key FROM crossed
    ON CONFLICT DO NOTHING
    RETURNING alert_id, threshold, period_key
  ), queued AS (
    INSERT INTO webhook_deliveries (webhook_id, event_type, payload)
    SELECT c.webhook_id, 'alert.' || (c.data->>'kind'),
           jsonb_build_object('type', 'alert.' || (c.data->>'kind'), 'created_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
             'data', c.data || jsonb_build_object('period_key', c.period_key))
      FROM fired f JOIN crossed c ON c.alert_id = f.alert_id AND c.threshold = f.threshold AND c.period_key = f.period_key
      JOIN webhooks w ON w.id = c.webhook_id AND w.enabled
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM fired)::integer + 0 * (SELECT count(*) FROM queued)::integer
$$;
