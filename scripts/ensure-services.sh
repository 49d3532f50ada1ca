#!/usr/bin/env bash
# CI: make sure the real PostgreSQL the integration tests use is installed, running, has the database
# 'test' and accepts the test user over TCP, and that Redis (the Celery broker of the worker tests) is
# installed and running on 127.0.0.1:6379. Prints the PostgreSQL connection URL to use as its last line;
# all other output goes to stderr.
set -euo pipefail
log() { printf '%s\n' "$*" >&2; }
url="${GREMIENLAUF_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}"
if ! command -v pg_isready >/dev/null 2>&1 || ! ls /etc/postgresql >/dev/null 2>&1; then
    log "PostgreSQL fehlt – wird installiert"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start >&2
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
if ! psql "$url" -qtAc 'SELECT 1' >/dev/null 2>&1; then
    # A fresh cluster: no database 'test', and TCP logins need a password. Set both up through the
    # local socket as the operating-system user postgres.
    log "PostgreSQL: Datenbank 'test' und Zugang werden eingerichtet"
    as_postgres() { if [ "$(id -un)" = postgres ]; then "$@"; else su postgres -c "$(printf '%q ' "$@")"; fi; }
    as_postgres psql -qtAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 \
        || as_postgres createdb test
    as_postgres psql -qc "ALTER USER postgres PASSWORD 'postgres'" >&2
    url="postgresql://postgres:postgres@127.0.0.1:5432/test"
    psql "$url" -qtAc 'SELECT 1' >/dev/null
fi
if ! command -v redis-server >/dev/null 2>&1; then
    log "Redis fehlt – wird installiert"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq redis-server >&2
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    log "Redis wird gestartet"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >&2
    for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
    redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null
fi
echo "$url"
