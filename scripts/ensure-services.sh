#!/usr/bin/env bash
# Make sure RabbitMQ (required) and, where installed, PostgreSQL (used by the tests) answer.
set -u
port_open() { python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(1)
sys.exit(0 if s.connect_ex((sys.argv[1], int(sys.argv[2]))) == 0 else 1)
PY
}
wait_port() { for _ in $(seq 1 60); do port_open "$1" "$2" && return 0; sleep 1; done; return 1; }

BUS_HOST=${BUS_HOST:-127.0.0.1}
if ! port_open "$BUS_HOST" 5672; then
  if command -v rabbitmq-server >/dev/null 2>&1; then
    echo "RabbitMQ does not answer on $BUS_HOST:5672 — starting the local rabbitmq-server ..."
    rabbitmq-server -detached >/dev/null 2>&1 || true
    wait_port "$BUS_HOST" 5672 || { echo "RabbitMQ did not come up; see its log (rabbitmq-diagnostics status)." >&2; exit 1; }
    # The port opens before the broker accepts work; wait for the application itself.
    command -v rabbitmqctl >/dev/null 2>&1 && rabbitmqctl await_startup >/dev/null 2>&1 || sleep 3
  else
    echo "RabbitMQ is required at BUS_URL (default amqp://guest:guest@localhost:5672/%2F)." >&2
    echo "Install it (Debian/Ubuntu: apt-get install rabbitmq-server) or start one: docker compose up -d rabbitmq" >&2
    exit 1
  fi
fi
echo "RabbitMQ answers on $BUS_HOST:5672"
# The kit sets its queue policies through the management plugin's HTTP API (rabbitmqctl, which starts
# an Erlang VM per call, is only the fallback): switch the plugin on where the broker is local.
if command -v rabbitmq-plugins >/dev/null 2>&1 && ! port_open "$BUS_HOST" 15672; then
  rabbitmq-plugins enable rabbitmq_management >/dev/null 2>&1 && wait_port "$BUS_HOST" 15672 \
    && echo "RabbitMQ management API on $BUS_HOST:15672" || echo "management plugin not enabled: policies via rabbitmqctl"
fi

if ! port_open 127.0.0.1 5432; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "PostgreSQL does not answer on 127.0.0.1:5432 — starting the local cluster ..."
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    wait_port 127.0.0.1 5432 || echo "PostgreSQL did not come up: database tests will run on SQLite." >&2
  else
    echo "PostgreSQL not found: the services use SQLite under var/, database tests run on SQLite."
  fi
fi
exit 0
