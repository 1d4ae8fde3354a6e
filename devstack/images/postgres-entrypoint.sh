#!/usr/bin/env bash
# The part of the official postgres image's docker-entrypoint.sh the stack relies on:
# as root, PGDATA and the socket folder go to postgres and the script runs again as
# postgres; on an empty PGDATA: initdb with POSTGRES_USER and the password from
# POSTGRES_PASSWORD(_FILE), POSTGRES_DB, the /docker-entrypoint-initdb.d/*.sql|*.sh
# scripts against a socket-only temporary server started with the same arguments;
# then the server in the foreground.
set -Eeo pipefail
if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi
if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  chmod 3777 /var/run/postgresql
  exec gosu postgres "$BASH_SOURCE" "$@"
fi
if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then POSTGRES_PASSWORD="$(< "$POSTGRES_PASSWORD_FILE")"; fi
  : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE must be set}"
  user="${POSTGRES_USER:-postgres}"
  db="${POSTGRES_DB:-$user}"
  initdb --username="$user" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") --auth=scram-sha-256 -D "$PGDATA" >/dev/null
  export PGPASSWORD="$POSTGRES_PASSWORD" PGUSER="$user" PGHOST=/var/run/postgresql
  args=("${@:2}" -c listen_addresses='' -p "${PGPORT:-5432}")
  pg_ctl -D "$PGDATA" -o "$(printf '%q ' "${args[@]}")" -w start >/dev/null
  if [ "$db" != postgres ]; then psql -v ON_ERROR_STOP=1 -q --dbname postgres -c "CREATE DATABASE \"$db\""; fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sql) psql -v ON_ERROR_STOP=1 -q --dbname "$db" -f "$f" ;;
      *.sh) . "$f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  unset PGPASSWORD POSTGRES_PASSWORD
fi
exec "$@"
