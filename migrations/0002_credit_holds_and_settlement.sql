-- Credits: holds, settlement, the sweeper and Idempotency-Key records.
--
-- Money moves only through these functions (and admin grants/adjustments). Each takes a batch
-- of items as jsonb so that one round trip serves every request that arrived together; inside,
-- every item is still its own conditional update, in order.
--
-- Lock order, everywhere: the batch's account rows (sorted by id) first, then holds. Holds,
-- settlements and the sweeper therefore never deadlock each other, across any number of
-- gateway instances.

ALTER TABLE requests
  ADD COLUMN hold_amount bigint NOT NULL DEFAULT 0,
  ADD COLUMN uncollected bigint NOT NULL DEFAULT 0,
  ADD COLUMN idempotency_key text,
  ADD COLUMN max_tokens_clamped integer;

CREATE TABLE idempotency_keys (
  account_id       uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  key              text NOT NULL,
  request_hash     text NOT NULL,
  request_id       text NOT NULL,
  state            text NOT NULL CHECK (state IN ('running', 'done')),
  stream           boolean NOT NULL,
  response_status  integer,
  response_body    text,
  response_headers jsonb,
  created_at       timestamptz NOT NULL DEFAULT now(),
  -- running: when the claim counts as abandoned; done: when the record is forgotten.
  expires_at       timestamptz NOT NULL,
  PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- place_holds(items): for each item, reserve the worst-case cost of a request.
-- Item: { request_id, account_id, prompt (Σ prompt tokens × price numerator), out_price,
--         max_out, min_out, mult (10000 + markup bps), expires_in_ms, instance_id }.
-- Cost of n output tokens = ceil((prompt + n × out_price) × mult / 10^10) microcredits — the
-- same formula as src/credits/money.ts priceTokens. When the available balance covers less
-- than max_out, the largest affordable n is granted; below min_out the hold is refused.
-- Returns granted_out = -1 when refused (or the account is missing), else the output tokens granted.
CREATE FUNCTION place_holds(p_items jsonb)
RETURNS TABLE (o_request_id text, o_granted_out bigint, o_amount bigint, o_balance bigint, o_held bigint)
LANGUAGE plpgsql AS $$
DECLARE
  it record;
  acct record;
  avail numeric;
  n bigint;
  amt numeric;
BEGIN
  PERFORM 1 FROM accounts
    WHERE id IN (SELECT DISTINCT (e->>'account_id')::uuid FROM jsonb_array_elements(p_items) e)
    ORDER BY id FOR UPDATE;

  FOR it IN
    SELECT * FROM jsonb_to_recordset(p_items) AS x(
      request_id text, account_id uuid, prompt numeric, out_price numeric, max_out bigint,
      min_out bigint, mult numeric, expires_in_ms bigint, instance_id text)
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
      VALUES (it.request_id, it.account_id, amt::bigint, it.instance_id, now() + it.expires_in_ms * interval '1 millisecond')
      ON CONFLICT (request_id) DO NOTHING;
    IF NOT FOUND THEN
      -- A hold for this request id exists already; never reserve twice.
      o_granted_out := -1; o_amount := 0; o_balance := acct.balance; o_held := acct.held;
      RETURN NEXT;
      CONTINUE;
    END IF;
    UPDATE accounts SET held = held + amt::bigint WHERE id = it.account_id;

    o_granted_out := n; o_amount := amt::bigint; o_balance := acct.balance; o_held := acct.held + amt::bigint;
    RETURN NEXT;
  END LOOP;
END $$;

-- settle_requests(items): for each finished request, in one transaction per batch:
-- release its hold, charge the actual cost (never more than the account has — what cannot be
-- collected is recorded as uncollected), append the ledger entry, write the request row, and
-- complete or release its Idempotency-Key record.
-- Item: { request_id, account_id, cost, request (a full requests row as json),
--         idem_key, idem_ok, idem_status, idem_body, idem_headers, idem_retention_ms }.
-- A request that already has a row is settled already: its hold (if any) is released and
-- nothing is charged again. Returns the amount charged and the balance after.
CREATE FUNCTION settle_requests(p_items jsonb)
RETURNS TABLE (o_request_id text, o_charged bigint, o_balance bigint, o_held bigint, o_duplicate boolean)
LANGUAGE plpgsql AS $$
DECLARE
  it record;
  acct record;
  hold_amt bigint;
  charged bigint;
BEGIN
  PERFORM 1 FROM accounts
    WHERE id IN (SELECT DISTINCT (e->>'account_id')::uuid FROM jsonb_array_elements(p_items) e)
    ORDER BY id FOR UPDATE;

  FOR it IN
    SELECT * FROM jsonb_to_recordset(p_items) AS x(
      request_id text, account_id uuid, cost bigint, request jsonb, idem_key text, idem_ok boolean,
      idem_status integer, idem_body text, idem_headers jsonb, idem_retention_ms bigint)
  LOOP
    o_request_id := it.request_id;
    DELETE FROM holds h WHERE h.request_id = it.request_id RETURNING h.amount INTO hold_amt;
    IF NOT FOUND THEN hold_amt := 0; END IF;

    IF EXISTS (SELECT 1 FROM requests r WHERE r.id = it.request_id) THEN
      UPDATE accounts SET held = held - hold_amt WHERE id = it.account_id
        RETURNING balance, held INTO o_balance, o_held;
      o_charged := 0; o_duplicate := true;
      RETURN NEXT;
      CONTINUE;
    END IF;

    SELECT a.balance, a.held INTO acct FROM accounts a WHERE a.id = it.account_id;
    -- What the account can pay: its balance minus what other open holds reserve.
    charged := GREATEST(0, LEAST(it.cost, acct.balance - (acct.held - hold_amt)));
    UPDATE accounts SET balance = balance - charged, held = held - hold_amt, updated_at = now()
      WHERE id = it.account_id
      RETURNING balance, held INTO o_balance, o_held;
    IF charged > 0 THEN
      INSERT INTO ledger (account_id, kind, amount, request_id, note)
        VALUES (it.account_id, 'usage', -charged, it.request_id, '');
    END IF;
    INSERT INTO requests
      SELECT * FROM jsonb_populate_record(NULL::requests,
        it.request || jsonb_build_object('cost', charged, 'hold_amount', hold_amt, 'uncollected', it.cost - charged))
      ON CONFLICT (id) DO NOTHING;

    IF it.idem_key IS NOT NULL THEN
      IF it.idem_ok THEN
        UPDATE idempotency_keys SET state = 'done', response_status = it.idem_status, response_body = it.idem_body,
               response_headers = it.idem_headers, expires_at = now() + it.idem_retention_ms * interval '1 millisecond'
         WHERE account_id = it.account_id AND key = it.idem_key AND request_id = it.request_id;
      ELSE
        DELETE FROM idempotency_keys WHERE account_id = it.account_id AND key = it.idem_key AND request_id = it.request_id;
      END IF;
    END IF;

    o_charged := charged; o_duplicate := false;
    RETURN NEXT;
  END LOOP;
END $$;

-- release_expired_holds(limit): the sweeper. Releases holds whose expiry has passed (their
-- request's instance died or lost its database connection) and records the request as
-- abandoned; forgets expired Idempotency-Key records. Safe to run from every instance at once.
CREATE FUNCTION release_expired_holds(p_limit integer)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  r record;
  released integer := 0;
BEGIN
  PERFORM 1 FROM accounts
    WHERE id IN (SELECT DISTINCT h.account_id FROM holds h WHERE h.expires_at < now() LIMIT p_limit)
    ORDER BY id FOR UPDATE;
  FOR r IN
    SELECT h.request_id, h.account_id, h.amount, h.created_at, h.instance_id FROM holds h
     WHERE h.expires_at < now()
     ORDER BY h.account_id
     LIMIT p_limit
     FOR UPDATE SKIP LOCKED
  LOOP
    DELETE FROM holds WHERE request_id = r.request_id;
    UPDATE accounts SET held = held - r.amount WHERE id = r.account_id;
    INSERT INTO requests (id, account_id, endpoint, status, error_code, started_at, hold_amount, instance_id)
      VALUES (r.request_id, r.account_id, 'unknown', 0, 'hold_expired', r.created_at, r.amount, r.instance_id)
      ON CONFLICT (id) DO NOTHING;
    released := released + 1;
  END LOOP;
  DELETE FROM idempotency_keys WHERE expires_at < now();
  RETURN released;
END $$;
