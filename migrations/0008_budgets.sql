-- Budgets: spend caps per API key and per user, per UTC day, calendar month (UTC) and lifetime,
-- in microcredits; and a model allowlist per API key.
--
-- Only requests of a key or user that has a cap touch these tables. Admission reserves the
-- request's hold against every cap that applies, in one statement (reserve_budgets), refused when
-- any cap would be exceeded: Σ spent + Σ reserved <= limit holds for every cap and period, across
-- any number of instances, because each (cap, period) row is locked while it is checked and
-- changed. The settlement (settle_budgets, keyed by request id, applied once) turns the
-- reservation into spend: the request's cost, not its hold. The sweeper releases reservations
-- that expired (their instance died) only once that instance's settlements are written.
--
-- Lock order: budget_usage rows by (budget_id, period_start). No function here locks accounts
-- or leases, and none of theirs locks these.

-- NULL: every model.
ALTER TABLE api_keys ADD COLUMN allowed_models text[];

CREATE TABLE budgets (
  id           bigserial PRIMARY KEY,
  api_key_id   uuid REFERENCES api_keys(id) ON DELETE CASCADE,
  user_id      uuid REFERENCES users(id) ON DELETE CASCADE,
  period       text NOT NULL CHECK (period IN ('day', 'month', 'lifetime')),
  limit_amount bigint NOT NULL CHECK (limit_amount >= 0),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  CHECK ((api_key_id IS NULL) <> (user_id IS NULL)),
  UNIQUE (api_key_id, period),
  UNIQUE (user_id, period)
);

-- One row per cap and period (the UTC day, the first day of the UTC month, or 1970-01-01 for lifetime).
CREATE TABLE budget_usage (
  budget_id    bigint NOT NULL REFERENCES budgets(id) ON DELETE CASCADE,
  period_start date NOT NULL,
  spent        bigint NOT NULL DEFAULT 0 CHECK (spent >= 0),
  reserved     bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  -- When the cap last refused a request it had no room for even with nothing reserved: the cap is
  -- then reached, though spend stops just under its limit (fire_alerts, 0010, counts it as reached).
  refused_at   timestamptz,
  PRIMARY KEY (budget_id, period_start)
);

-- What requests in flight reserved, per cap they count against.
CREATE TABLE budget_reservations (
  request_id   text NOT NULL,
  budget_id    bigint NOT NULL,
  period_start date NOT NULL,
  amount       bigint NOT NULL CHECK (amount >= 0),
  instance_id  text NOT NULL,
  expires_at   timestamptz NOT NULL,
  PRIMARY KEY (request_id, budget_id),
  FOREIGN KEY (budget_id, period_start) REFERENCES budget_usage (budget_id, period_start) ON DELETE CASCADE
);
CREATE INDEX budget_reservations_expiry ON budget_reservations (expires_at);

CREATE FUNCTION budget_period_start(p_period text, p_at timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE p_period
    WHEN 'day' THEN (p_at AT TIME ZONE 'UTC')::date
    WHEN 'month' THEN date_trunc('month', p_at AT TIME ZONE 'UTC')::date
    ELSE DATE '1970-01-01' END
$$;

-- A cap changed: the principals it applies to are cached by every instance (whether they are
-- capped at all rides with the key lookup), so they are evicted like a key or user change (0004).
CREATE FUNCTION notify_budget_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v bigint;
  b record;
  h text;
BEGIN
  b := COALESCE(NEW, OLD);
  UPDATE config_versions SET version = version + 1 WHERE name = 'keys' RETURNING version INTO v;
  IF b.api_key_id IS NOT NULL THEN
    SELECT encode(k.key_hash, 'hex') INTO h FROM api_keys k WHERE k.id = b.api_key_id;
    IF h IS NULL THEN
      -- The key is being deleted with its caps: every instance forgets every verdict.
      PERFORM pg_notify('tollgate_config', json_build_object('kind', 'keys', 'version', v)::text);
    ELSE
      PERFORM pg_notify('tollgate_config', json_build_object('kind', 'key', 'version', v, 'hash', h)::text);
    END IF;
  ELSE
    PERFORM pg_notify('tollgate_config', json_build_object('kind', 'user', 'version', v, 'user', b.user_id)::text);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER budgets_changed AFTER INSERT OR DELETE ON budgets
  FOR EACH ROW EXECUTE FUNCTION notify_budget_change();

-- reserve_budgets: reserve LEAST(p_wanted, the headroom of the tightest cap) against every cap of
-- this key and user, for their current periods, when that is at least p_min; else reserve nothing.
-- One row per cap (o_granted repeated on each; none when there is no cap: o_granted is then
-- p_wanted with NULL cap fields, one row). A refusal that nothing reserved caused is recorded on
-- the refusing cap's row (refused_at), once per period and limit.
CREATE FUNCTION reserve_budgets(p_request text, p_key uuid, p_user uuid, p_wanted bigint, p_min bigint, p_instance text, p_ttl_ms bigint)
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

-- settle_budgets: the reservations of these requests become spend (their cost) and are deleted;
-- a request without a reservation (settled before, or nothing reserved) changes nothing.
CREATE FUNCTION settle_budgets(p_ids text[], p_costs bigint[])
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  n integer;
BEGIN
  PERFORM 1 FROM budget_usage u
    WHERE (u.budget_id, u.period_start) IN (SELECT r.budget_id, r.period_start FROM budget_reservations r WHERE r.request_id = ANY(p_ids))
    ORDER BY u.budget_id, u.period_start FOR UPDATE;
  WITH gone AS (
    DELETE FROM budget_reservations r USING unnest(p_ids, p_costs) AS c(request_id, cost)
     WHERE r.request_id = c.request_id
    RETURNING r.budget_id, r.period_start, r.amount, c.cost
  ), upd AS (
    UPDATE budget_usage u SET spent = u.spent + s.cost, reserved = u.reserved - s.amount
      FROM (SELECT budget_id, period_start, sum(amount) AS amount, sum(cost) AS cost FROM gone GROUP BY 1, 2) s
     WHERE u.budget_id = s.budget_id AND u.period_start = s.period_start
    RETURNING 1
  )
  SELECT count(*) INTO n FROM upd;
  RETURN n;
END $$;

-- renew_budget_reservations: requests still running on this instance keep their reservations.
CREATE FUNCTION renew_budget_reservations(p_ids text[], p_instance text, p_ttl_ms bigint)
RETURNS integer
LANGUAGE sql AS $$
  WITH r AS (
    UPDATE budget_reservations SET expires_at = now() + p_ttl_ms * interval '1 millisecond'
     WHERE request_id = ANY(p_ids) AND instance_id = p_instance
    RETURNING 1
  ) SELECT count(*)::integer FROM r
$$;

-- release_expired_budget_reservations: the sweeper. Expired reservations of instances not in
-- p_busy (no settlement of theirs waits to be written) go back to their caps' headroom.
CREATE FUNCTION release_expired_budget_reservations(p_limit integer, p_busy text[])
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  r record;
  ids bigint[];
  starts date[];
  n integer := 0;
BEGIN
  SELECT array_agg(c.budget_id), array_agg(c.period_start) INTO ids, starts FROM (
    SELECT DISTINCT e.budget_id, e.period_start FROM budget_reservations e
     WHERE e.expires_at < now() AND NOT (e.instance_id = ANY(COALESCE(p_busy, '{}'))) LIMIT p_limit) c;
  IF ids IS NULL THEN RETURN 0; END IF;
  -- The caps' rows first (the lock order of every budget function), then their expired reservations.
  PERFORM 1 FROM budget_usage u WHERE (u.budget_id, u.period_start) IN (SELECT * FROM unnest(ids, starts))
    ORDER BY u.budget_id, u.period_start FOR UPDATE;
  FOR r IN
    DELETE FROM budget_reservations e
     WHERE (e.budget_id, e.period_start) IN (SELECT * FROM unnest(ids, starts))
       AND e.expires_at < now() AND NOT (e.instance_id = ANY(COALESCE(p_busy, '{}')))
    RETURNING e.budget_id, e.period_start, e.amount
  LOOP
    UPDATE budget_usage SET reserved = reserved - r.amount WHERE budget_id = r.budget_id AND period_start = r.period_start;
    n := n + 1;
  END LOOP;
  RETURN n;
END $$;
