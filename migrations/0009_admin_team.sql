-- Named admin accounts with roles, their sessions, sign-in throttling, and the audit log of
-- admin changes. See docs/ARCHITECTURE.md ("The admin team").

CREATE TABLE admin_accounts (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email           text NOT NULL UNIQUE CHECK (email = lower(email)),
  name            text NOT NULL DEFAULT '',
  role            text NOT NULL CHECK (role IN ('owner', 'admin', 'billing', 'viewer')),
  -- "scrypt$N$r$p$salt$hash" (base64url): the KDF's parameters travel with the hash.
  password_hash   text NOT NULL,
  disabled        boolean NOT NULL DEFAULT false,
  last_sign_in_at timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- A session id is 256 random bits held only by the browser (HttpOnly cookie); the table keeps its SHA-256.
CREATE TABLE admin_sessions (
  id_hash     bytea PRIMARY KEY,
  account_id  uuid NOT NULL REFERENCES admin_accounts(id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  ip          text NOT NULL DEFAULT '',
  user_agent  text NOT NULL DEFAULT ''
);
CREATE INDEX admin_sessions_account_idx ON admin_sessions (account_id);
CREATE INDEX admin_sessions_expires_idx ON admin_sessions (expires_at);

-- Every sign-in attempt is written before its password is checked; a success clears its email's rows.
CREATE TABLE admin_sign_in_attempts (
  id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email  text NOT NULL,
  ip     text NOT NULL,
  at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX admin_sign_in_attempts_email_idx ON admin_sign_in_attempts (email, at);
CREATE INDEX admin_sign_in_attempts_ip_idx ON admin_sign_in_attempts (ip, at);
CREATE INDEX admin_sign_in_attempts_at_idx ON admin_sign_in_attempts (at);

-- Append-only. actor_id has no foreign key: the record outlives a deleted admin account.
CREATE TABLE audit_log (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  actor_kind   text NOT NULL CHECK (actor_kind IN ('account', 'token')),
  actor_id     uuid,
  actor_label  text NOT NULL,
  action       text NOT NULL,
  target_type  text NOT NULL,
  target_id    text,
  before       jsonb,
  after        jsonb
);
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, id DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_label, id DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, id DESC);
