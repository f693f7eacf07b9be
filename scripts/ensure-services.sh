#!/usr/bin/env bash
# Makes sure the real Postgres (127.0.0.1:5432, trust auth, database "test") and Redis
# (127.0.0.1:6379) the tests use are running, and that the headless Chromium the admin panel's
# end-to-end tests drive is at /usr/bin/chromium, that curl and jq (the README walkthrough's
# test) and nginx (the compose balancer's test) are there, and that pgbouncer and redis-cli are
# installed (the scale-out test starts its own PgBouncer and Redis Cluster); installs them from
# Debian packages when missing.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}
wait_port() {
  for _ in $(seq 1 60); do port_open "$1" && return 0; sleep 0.5; done
  echo "ensure-services: nothing is listening on 127.0.0.1:$1" >&2
  return 1
}

if ! port_open 5432; then
  fresh=0
  if [ ! -d /etc/postgresql ] || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    echo "ensure-services: installing postgresql" >&2
    apt_install postgresql
    fresh=1
  fi
  version="$(ls /etc/postgresql | sort -V | tail -1)"
  if [ "$fresh" -eq 1 ]; then
    # Local test database only: trust connections from this machine.
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    as_root sed -i -E 's/^(local|host)(\s+all\s+all\s+.*\s)(peer|md5|scram-sha-256)$/\1\2trust/' "$hba"
    as_root sed -i -E 's/^(local\s+all\s+postgres\s+)peer$/\1trust/' "$hba"
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_port 5432
fi
if command -v psql >/dev/null 2>&1; then
  if ! psql -h 127.0.0.1 -U postgres -d test -qAtc 'SELECT 1' >/dev/null 2>&1; then
    psql -h 127.0.0.1 -U postgres -d postgres -qc 'CREATE DATABASE test' >/dev/null 2>&1 || true
  fi
fi

if ! port_open 6379; then
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "ensure-services: installing redis-server" >&2
    apt_install redis-server
  fi
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  wait_port 6379
fi

# test/deploy/balancer-rules.test.ts runs deploy/compose/nginx.conf in a real nginx.
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "ensure-services: installing nginx-light" >&2
  apt_install nginx-light
fi

# The README walkthrough's test runs it as written, with curl and jq.
for tool in curl jq; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "ensure-services: installing $tool" >&2
    apt_install "$tool"
  fi
done

# The scale-out test runs its own PgBouncer (transaction pooling) and a three-node Redis Cluster
# (built with redis-cli, which comes with redis-server in Debian's redis-tools).
if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
  echo "ensure-services: installing pgbouncer" >&2
  apt_install pgbouncer
fi
if ! command -v redis-cli >/dev/null 2>&1; then
  echo "ensure-services: installing redis-tools" >&2
  apt_install redis-tools
fi

# The admin panel's browser tests (test/e2e) drive Debian's Chromium through playwright-core.
if [ ! -x /usr/bin/chromium ]; then
  echo "ensure-services: installing chromium" >&2
  apt_install chromium
fi
