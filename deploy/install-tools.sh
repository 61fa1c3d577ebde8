#!/usr/bin/env bash
# The operators' tools the tests use: promtool and prometheus (Debian's `prometheus` package).
# Called by `make test` before the tests, so the tests themselves never install anything.
# Installs only when missing and only where it can (root or passwordless sudo with apt-get);
# otherwise it says what to do and the promtool/Prometheus tests are skipped with that reason.
set -euo pipefail

if command -v promtool >/dev/null && command -v prometheus >/dev/null; then
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "deploy/install-tools.sh: no apt-get here; install Prometheus (promtool and prometheus on PATH)" >&2
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    echo "deploy/install-tools.sh: run 'sudo apt-get install -y --no-install-recommends prometheus' for promtool" >&2
    exit 0
fi
echo "Installing Debian's prometheus package (promtool, prometheus) ..."
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get install -y -q --no-install-recommends prometheus >/dev/null \
    || { "${SUDO[@]}" apt-get update -q >/dev/null && "${SUDO[@]}" apt-get install -y -q --no-install-recommends prometheus >/dev/null; }
# The package's service is not wanted here: the tests start their own server on a free port.
if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
    "${SUDO[@]}" systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
command -v promtool >/dev/null && command -v prometheus >/dev/null
