-- Real-time config invalidation. Every committed change to the catalogue (providers, keys,
-- models, prices, plans) or to who may call (api keys, users) bumps a version and sends a
-- NOTIFY on channel 'tollgate_config'. One gateway instance listens and fans the change out
-- through Redis pub/sub; every instance also compares versions periodically, so a missed
-- message is repaired. NOTIFY is delivered at commit, never for a rolled-back change.

CREATE TABLE config_versions (
  name     text PRIMARY KEY CHECK (name IN ('catalogue', 'keys')),
  version  bigint NOT NULL DEFAULT 0
);
INSERT INTO config_versions (name) VALUES ('catalogue'), ('keys');

-- Catalogue tables: one bump per statement.
CREATE FUNCTION notify_catalogue_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE v bigint;
BEGIN
  UPDATE config_versions SET version = version + 1 WHERE name = 'catalogue' RETURNING version INTO v;
  PERFORM pg_notify('tollgate_config', json_build_object('kind', 'catalogue', 'version', v, 'table', TG_TABLE_NAME)::text);
  RETURN NULL;
END $$;

CREATE TRIGGER providers_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON providers
  FOR EACH STATEMENT EXECUTE FUNCTION notify_catalogue_change();
CREATE TRIGGER provider_keys_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON provider_keys
  FOR EACH STATEMENT EXECUTE FUNCTION notify_catalogue_change();
CREATE TRIGGER models_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON models
  FOR EACH STATEMENT EXECUTE FUNCTION notify_catalogue_change();
CREATE TRIGGER prices_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON prices
  FOR EACH STATEMENT EXECUTE FUNCTION notify_catalogue_change();
CREATE TRIGGER plans_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON plans
  FOR EACH STATEMENT EXECUTE FUNCTION notify_catalogue_change();

-- API keys: per row, naming the key (by the hex of its hash) so instances evict just that entry.
CREATE FUNCTION notify_api_key_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE v bigint;
BEGIN
  UPDATE config_versions SET version = version + 1 WHERE name = 'keys' RETURNING version INTO v;
  PERFORM pg_notify('tollgate_config', json_build_object('kind', 'key', 'version', v,
    'hash', encode(COALESCE(NEW.key_hash, OLD.key_hash), 'hex'))::text);
  RETURN NULL;
END $$;

CREATE TRIGGER api_keys_changed AFTER UPDATE OR DELETE ON api_keys
  FOR EACH ROW EXECUTE FUNCTION notify_api_key_change();

-- Users (disable, plan change, account move): per row, naming the user.
CREATE FUNCTION notify_user_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE v bigint;
BEGIN
  UPDATE config_versions SET version = version + 1 WHERE name = 'keys' RETURNING version INTO v;
  PERFORM pg_notify('tollgate_config', json_build_object('kind', 'user', 'version', v, 'user', COALESCE(NEW.id, OLD.id))::text);
  RETURN NULL;
END $$;

CREATE TRIGGER users_changed AFTER UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION notify_user_change();
