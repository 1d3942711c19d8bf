#!/usr/bin/env bash
# Starts the local PostgreSQL cluster (if it is not running) and makes the test role and database.
# Prints the SQLAlchemy URL the tests use. Idempotent.
set -euo pipefail
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
  as_postgres() { runuser -u postgres -- "$@"; }
else
  SUDO="sudo"
  as_postgres() { sudo -u postgres "$@"; }
fi
if ! command -v pg_lsclusters >/dev/null; then
  echo "PostgreSQL is not installed: run tools/system-packages.sh" >&2
  exit 1
fi
read -r ver name port status _ < <(pg_lsclusters --no-header | head -n 1)
if [ "$status" != "online" ]; then
  $SUDO pg_ctlcluster "$ver" "$name" start >&2
fi
psql_admin() { as_postgres psql -p "$port" -v ON_ERROR_STOP=1 -qtA "$@"; }
for _ in $(seq 1 30); do psql_admin -c "select 1" >/dev/null 2>&1 && break; sleep 0.5; done
if [ "$(psql_admin -c "select 1 from pg_roles where rolname='dialer'")" != "1" ]; then
  psql_admin -c "create role dialer login createdb password 'dialer'" >&2
fi
if [ "$(psql_admin -c "select 1 from pg_database where datname='dialer_test'")" != "1" ]; then
  psql_admin -c "create database dialer_test owner dialer" >&2
fi
# Tests drop their databases WITH (FORCE), which needs to signal other backends.
psql_admin -c "grant pg_signal_backend to dialer" >&2
echo "postgresql+psycopg://dialer:dialer@127.0.0.1:${port}/dialer_test"
