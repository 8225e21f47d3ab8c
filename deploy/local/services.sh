#!/usr/bin/env bash
# Starts PostgreSQL, Redis and NATS (JetStream) on this machine when they are
# not answering; idempotent. `services.sh status` only reports.
# On a machine with Docker instead, use `docker compose up -d`.
set -uo pipefail

PG_HOST=127.0.0.1 PG_PORT=5432 REDIS_PORT=6379 NATS_PORT=4222

up_pg()    { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" 2>/dev/null; }
up_redis() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }
up_nats()  { (exec 3<>/dev/tcp/127.0.0.1/$NATS_PORT) 2>/dev/null; }

wait_for() {
  local name=$1 check=$2
  for _ in $(seq 1 60); do
    if $check; then echo "$name: up"; return 0; fi
    sleep 0.5
  done
  echo "$name: still down after 30 s" >&2
  return 1
}

start_pg() {
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
  else
    echo "postgresql: no pg_ctlcluster here; start PostgreSQL yourself or use docker compose" >&2
  fi
}
start_redis() {
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
}
start_nats() {
  mkdir -p /var/lib/nats-server 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p "$NATS_PORT" -js -sd /var/lib/nats-server -l /var/log/nats-server.log || true
}

case "${1:-up}" in
  status)
    up_pg && echo "postgresql: up" || echo "postgresql: down"
    up_redis && echo "redis: up" || echo "redis: down"
    up_nats && echo "nats: up" || echo "nats: down"
    ;;
  up)
    status=0
    up_pg || start_pg;       wait_for postgresql up_pg || status=1
    up_redis || start_redis; wait_for redis up_redis || status=1
    up_nats || start_nats;   wait_for nats up_nats || status=1
    exit $status
    ;;
  *) echo "usage: $0 [up|status]" >&2; exit 2 ;;
esac
