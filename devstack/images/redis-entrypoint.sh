#!/bin/sh
# The part of the official redis image's docker-entrypoint.sh the stack relies on: a
# config file or option as first argument means redis-server; as root, /data goes to
# the redis user and the server runs as that user.
set -e
case "$1" in -*|*.conf) set -- redis-server "$@" ;; esac
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find . \! -user redis -exec chown redis '{}' +
  exec gosu redis "$0" "$@"
fi
exec "$@"
