-- Alerts: low balance of an account, and spend of a key's or user's cap (budgets, 0008) past a
-- percentage, delivered as signed webhooks.
--
-- Every instance evaluates the alerts periodically; a threshold fires when its row in
-- alert_firings is inserted, which the primary key makes happen once per (alert, threshold,
-- period) however many instances evaluate at once (INSERT … ON CONFLICT DO NOTHING). The same
-- statement queues the delivery. A budget alert's period is its cap's period (the UTC day or month,
-- or lifetime); a low-balance alert's period lasts until the account is next funded (a grant or a
-- positive adjustment re-arms it).

-- Webhook targets. The signing secret is sealed like provider keys (store/secrets.ts, associated
-- data naming the row); only its last four characters are ever shown again.
CREATE TABLE webhooks (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name             text NOT NULL DEFAULT '',
  url              text NOT NULL,
  secret_encrypted text NOT NULL,
  secret_last4     text NOT NULL,
  enabled          boolean NOT NULL DEFAULT true,
  created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE alerts (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  webhook_id   uuid NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  kind         text NOT NULL CHECK (kind IN ('low_balance', 'budget')),
  account_id   uuid REFERENCES accounts(id) ON DELETE CASCADE,
  api_key_id   uuid REFERENCES api_keys(id) ON DELETE CASCADE,
  user_id      uuid REFERENCES users(id) ON DELETE CASCADE,
  period       text CHECK (period IN ('day', 'month', 'lifetime')),
  -- low_balance: balances in microcredits (fires when the balance falls below one);
  -- budget: percentages of the cap (fires when what is spent reaches one).
  thresholds   bigint[] NOT NULL CHECK (cardinality(thresholds) BETWEEN 1 AND 10),
  created_at   timestamptz NOT NULL DEFAULT now(),
  CHECK (
    (kind = 'low_balance' AND account_id IS NOT NULL AND api_key_id IS NULL AND user_id IS NULL AND period IS NULL)
    OR (kind = 'budget' AND account_id IS NULL AND (api_key_id IS NULL) <> (user_id IS NULL) AND period IS NOT NULL)
  )
);
CREATE INDEX alerts_webhook ON alerts (webhook_id);

-- A low-balance alert's period starts at the account's last funding: found without reading its usage entries.
CREATE INDEX ledger_funding ON ledger (account_id, id DESC) WHERE kind <> 'usage' AND amount > 0;

CREATE TABLE alert_firings (
  alert_id   uuid NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
  threshold  bigint NOT NULL,
  period_key text NOT NULL,
  fired_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (alert_id, threshold, period_key)
);

-- The delivery log (and queue): one row per event sent to a webhook, with its attempts.
CREATE TABLE webhook_deliveries (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  webhook_id      uuid NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  event_type      text NOT NULL,
  payload         jsonb NOT NULL,
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until    timestamptz,
  last_status     integer,
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  delivered_at    timestamptz
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id DESC);

-- fire_alerts: records every threshold crossed now and not yet fired in its period, and queues
-- one delivery for each (to an enabled webhook). A budget period that refused a request it had no
-- room for counts as its limit reached (budget_usage.refused_at): spend stops just under a cap, so
-- a 100 % threshold would otherwise never fire. Returns how many fired. Safe to run on every
-- instance at once: the first insert of a firing wins, the others do nothing.
CREATE FUNCTION fire_alerts() RETURNS integer
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

-- claim_webhook_deliveries: the due deliveries this instance sends now (at most p_limit), locked
-- against the others for p_lock_ms (a sender that dies leaves them to be retried after that).
-- Deliveries to a disabled webhook wait until it is enabled again.
CREATE FUNCTION claim_webhook_deliveries(p_limit integer, p_lock_ms bigint)
RETURNS TABLE (o_id bigint, o_webhook_id uuid, o_url text, o_secret text, o_event_type text, o_payload jsonb, o_attempts integer)
LANGUAGE sql AS $$
  UPDATE webhook_deliveries d SET locked_until = now() + p_lock_ms * interval '1 millisecond', attempts = d.attempts + 1
    FROM webhooks w
   WHERE w.id = d.webhook_id AND d.id IN (
     SELECT x.id FROM webhook_deliveries x
      WHERE x.state = 'pending' AND x.next_attempt_at <= now() AND (x.locked_until IS NULL OR x.locked_until < now())
        AND EXISTS (SELECT 1 FROM webhooks e WHERE e.id = x.webhook_id AND e.enabled)
      ORDER BY x.next_attempt_at LIMIT p_limit FOR UPDATE SKIP LOCKED)
  RETURNING d.id, d.webhook_id, w.url, w.secret_encrypted, d.event_type, d.payload, d.attempts
$$;
