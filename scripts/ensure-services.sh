#!/usr/bin/env bash
# CI: make sure the real PostgreSQL the integration tests use is installed and running.
set -euo pipefail
if ! command -v pg_isready >/dev/null 2>&1 || ! ls /etc/postgresql >/dev/null 2>&1; then
    echo "PostgreSQL fehlt – wird installiert"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432
