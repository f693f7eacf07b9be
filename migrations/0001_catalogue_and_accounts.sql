-- Tollgate schema, part 1: the catalogue (providers, keys, models, prices, plans) and the
-- people and money (accounts, users, api keys, ledger, holds, requests).
-- Money columns are BIGINT microcredits (1 credit = 1,000,000 microcredits); prices are
-- microcredits per 1,000,000 tokens. See src/credits/money.ts for the rounding rule.

CREATE TABLE providers (
  id                    text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  kind                  text NOT NULL CHECK (kind IN ('openai', 'anthropic', 'gemini', 'mistral')),
  name                  text NOT NULL,
  base_url              text NOT NULL CHECK (base_url ~ '^https?://'),
  enabled               boolean NOT NULL DEFAULT true,
  connect_timeout_ms    integer NOT NULL DEFAULT 5000 CHECK (connect_timeout_ms > 0),
  first_byte_timeout_ms integer NOT NULL DEFAULT 60000 CHECK (first_byte_timeout_ms > 0),
  total_timeout_ms      integer NOT NULL DEFAULT 600000 CHECK (total_timeout_ms > 0),
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);

-- Several keys per provider are balanced; each is encrypted at rest (AES-256-GCM, see
-- src/store/secrets.ts) and only its last four characters are ever shown.
CREATE TABLE provider_keys (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  provider_id       text NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
  label             text NOT NULL DEFAULT '',
  secret_encrypted  text NOT NULL,
  last4             text NOT NULL,
  weight            integer NOT NULL DEFAULT 1 CHECK (weight > 0),
  enabled           boolean NOT NULL DEFAULT true,
  rpm_limit         integer CHECK (rpm_limit > 0),
  tpm_limit         integer CHECK (tpm_limit > 0),
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX provider_keys_provider ON provider_keys (provider_id);

CREATE TABLE models (
  alias              text PRIMARY KEY CHECK (alias ~ '^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$'),
  provider_id        text NOT NULL REFERENCES providers(id) ON DELETE RESTRICT,
  upstream_model     text NOT NULL,
  kind               text NOT NULL DEFAULT 'chat' CHECK (kind IN ('chat', 'embedding')),
  context_window     integer NOT NULL CHECK (context_window > 0),
  max_output_tokens  integer NOT NULL CHECK (max_output_tokens > 0),
  supports_vision    boolean NOT NULL DEFAULT false,
  supports_tools     boolean NOT NULL DEFAULT false,
  supports_json      boolean NOT NULL DEFAULT false,
  enabled            boolean NOT NULL DEFAULT true,
  fallbacks          text[] NOT NULL DEFAULT '{}',
  cache_ttl_seconds  integer CHECK (cache_ttl_seconds >= 0),
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

-- Prices are append-only: a new row with a later effective_from supersedes the old one, so a
-- request is always priced by the row in force when it started.
CREATE TABLE prices (
  id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  model_alias             text NOT NULL REFERENCES models(alias) ON UPDATE CASCADE ON DELETE CASCADE,
  input_per_mtok          bigint NOT NULL CHECK (input_per_mtok >= 0),
  output_per_mtok         bigint NOT NULL CHECK (output_per_mtok >= 0),
  cached_input_per_mtok   bigint NOT NULL CHECK (cached_input_per_mtok >= 0),
  cache_write_per_mtok    bigint NOT NULL CHECK (cache_write_per_mtok >= 0),
  effective_from          timestamptz NOT NULL DEFAULT now(),
  created_at              timestamptz NOT NULL DEFAULT now(),
  UNIQUE (model_alias, effective_from)
);

CREATE TABLE plans (
  id                      text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  name                    text NOT NULL,
  rpm                     integer CHECK (rpm > 0),
  rpm_per_provider        integer CHECK (rpm_per_provider > 0),
  tpm                     integer CHECK (tpm > 0),
  max_concurrent_streams  integer CHECK (max_concurrent_streams > 0),
  markup_bps              integer NOT NULL DEFAULT 0 CHECK (markup_bps >= 0 AND markup_bps <= 1000000),
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now()
);

-- balance is what the account owns (== sum of its ledger); held is reserved by open holds.
-- The checks are the last line of defence for "never below zero".
CREATE TABLE accounts (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL,
  balance     bigint NOT NULL DEFAULT 0 CHECK (balance >= 0),
  held        bigint NOT NULL DEFAULT 0 CHECK (held >= 0),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (held <= balance)
);

CREATE TABLE users (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id  uuid NOT NULL REFERENCES accounts(id) ON DELETE RESTRICT,
  email       text NOT NULL UNIQUE,
  name        text NOT NULL DEFAULT '',
  plan_id     text NOT NULL REFERENCES plans(id) ON DELETE RESTRICT,
  disabled    boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_account ON users (account_id);

-- Only the SHA-256 of a key is stored; the secret is shown once, at creation.
CREATE TABLE api_keys (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id       uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  key_hash      bytea NOT NULL UNIQUE,
  prefix        text NOT NULL,
  name          text NOT NULL DEFAULT '',
  revoked_at    timestamptz,
  expires_at    timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_user ON api_keys (user_id);

-- Append-only. Every change of a balance is one row here; sum(amount) == accounts.balance.
CREATE TABLE ledger (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id  uuid NOT NULL REFERENCES accounts(id) ON DELETE RESTRICT,
  kind        text NOT NULL CHECK (kind IN ('grant', 'usage', 'refund', 'adjustment')),
  amount      bigint NOT NULL,
  request_id  text,
  note        text NOT NULL DEFAULT '',
  actor       text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX ledger_request_kind ON ledger (request_id, kind) WHERE request_id IS NOT NULL;
CREATE INDEX ledger_account_time ON ledger (account_id, created_at DESC);

-- Open reservations. A settled or released hold is deleted in the same transaction that
-- adjusts accounts.held; a sweeper releases holds whose expiry has passed.
CREATE TABLE holds (
  request_id   text PRIMARY KEY,
  account_id   uuid NOT NULL REFERENCES accounts(id) ON DELETE RESTRICT,
  amount       bigint NOT NULL CHECK (amount >= 0),
  instance_id  text NOT NULL DEFAULT '',
  expires_at   timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX holds_expiry ON holds (expires_at);
CREATE INDEX holds_account ON holds (account_id);

-- One row per request the gateway answered (or failed), written when it finishes.
CREATE TABLE requests (
  id                  text PRIMARY KEY,
  account_id          uuid,
  user_id             uuid,
  api_key_id          uuid,
  endpoint            text NOT NULL,
  model_alias         text,
  served_model        text,
  provider_id         text,
  upstream_model      text,
  stream              boolean NOT NULL DEFAULT false,
  status              integer NOT NULL,
  error_code          text,
  prompt_tokens       integer NOT NULL DEFAULT 0,
  completion_tokens   integer NOT NULL DEFAULT 0,
  cached_tokens       integer NOT NULL DEFAULT 0,
  cache_write_tokens  integer NOT NULL DEFAULT 0,
  reasoning_tokens    integer NOT NULL DEFAULT 0,
  usage_estimated     boolean NOT NULL DEFAULT false,
  cost                bigint NOT NULL DEFAULT 0,
  price_id            bigint,
  cache_hit           boolean NOT NULL DEFAULT false,
  latency_ms          integer NOT NULL DEFAULT 0,
  upstream_latency_ms integer,
  attempts            jsonb NOT NULL DEFAULT '[]',
  tags                jsonb,
  instance_id         text NOT NULL DEFAULT '',
  started_at          timestamptz NOT NULL,
  finished_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX requests_account_time ON requests (account_id, started_at DESC);
CREATE INDEX requests_time ON requests (started_at DESC);

-- Gateway-wide settings the gateway writes itself (e.g. the hash of a generated admin token).
CREATE TABLE settings (
  key         text PRIMARY KEY,
  value       text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Users join a plan; this one has no limits and no markup until an admin sets them.
INSERT INTO plans (id, name) VALUES ('default', 'Default') ON CONFLICT (id) DO NOTHING;
