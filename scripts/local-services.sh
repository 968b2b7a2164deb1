#!/usr/bin/env bash
# Make sure this machine's PostgreSQL and Redis run, and that the `taskforge`
# role and database exist. Safe to run again and again.
set -euo pipefail

PGHOST_LOCAL=${TASKFORGE_LOCAL_PGHOST:-127.0.0.1}
PGADMIN=${TASKFORGE_LOCAL_PGADMIN:-postgres}

if ! pg_isready -q -h "$PGHOST_LOCAL" -p 5432; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
    for _ in $(seq 1 50); do pg_isready -q -h "$PGHOST_LOCAL" -p 5432 && break; sleep 0.2; done
fi
pg_isready -h "$PGHOST_LOCAL" -p 5432

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.2; done
fi
redis-cli -h 127.0.0.1 -p 6379 ping

psql -q -h "$PGHOST_LOCAL" -U "$PGADMIN" -d postgres -v ON_ERROR_STOP=1 <<'SQL'
SELECT 'CREATE ROLE taskforge LOGIN PASSWORD ''taskforge'' CREATEDB'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'taskforge') \gexec
SELECT 'CREATE DATABASE taskforge OWNER taskforge'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'taskforge') \gexec
SQL
