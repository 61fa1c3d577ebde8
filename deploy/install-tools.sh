#!/usr/bin/env bash
# The operators' tools the tests use: promtool and prometheus (Debian's `prometheus` package),
# docker-compose (validates docker-compose.yml), kubectl (renders deploy/k8s with kustomize),
# redis-server (the rate limits' shared store, started by servicekit's test on a free port);
# Pango and HarfBuzz's subsetter, which WeasyPrint needs to render contracts' PDFs (without the
# subsetter it falls back to fontTools, several times slower), and pdfinfo (poppler-utils), which the
# contract PDF tests read the documents with.
# Spectral and Redocly (npm, pinned in tools/openapi-lint) lint the OpenAPI documents.
# Called by `make test` before the tests, so the tests themselves never install anything.
# Installs only when missing and only where it can (root or passwordless sudo with apt-get);
# otherwise it says what to do and the promtool/Prometheus tests are skipped with that reason.
set -euo pipefail

# The OpenAPI linters a company's developer would run (Spectral, Redocly), pinned by
# tools/openapi-lint/package-lock.json; reinstalled when the lock file changes. Without npm the
# linting tests say so and skip.
lint_dir="$(dirname "$0")/../tools/openapi-lint"
if command -v npm >/dev/null; then
    if ! cmp -s "$lint_dir/package-lock.json" "$lint_dir/node_modules/.package-lock.json.installed" 2>/dev/null; then
        echo "Installing the OpenAPI linters (tools/openapi-lint) ..."
        # --ignore-scripts: no install-time analytics or downloads, the linters need none
        (cd "$lint_dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null) \
            && cp "$lint_dir/package-lock.json" "$lint_dir/node_modules/.package-lock.json.installed" \
            || echo "deploy/install-tools.sh: npm ci in tools/openapi-lint failed; the OpenAPI lint tests will fail" >&2
    fi
else
    echo "deploy/install-tools.sh: no npm here; install Node.js and npm for the OpenAPI linters" >&2
fi

missing=()
command -v promtool >/dev/null && command -v prometheus >/dev/null || missing+=(prometheus)
command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
command -v kubectl >/dev/null || missing+=(kubectl)
command -v redis-server >/dev/null || missing+=(redis-server)
has_lib() { ldconfig -p 2>/dev/null | grep "$1" >/dev/null; }  # not grep -q: with pipefail, ldconfig's SIGPIPE would count as missing
has_lib libpango-1.0.so.0 || missing+=(libpango-1.0-0)
has_lib libpangoft2-1.0.so.0 || missing+=(libpangoft2-1.0-0)
has_lib libharfbuzz-subset.so.0 || missing+=(libharfbuzz-subset0)
command -v pdfinfo >/dev/null || missing+=(poppler-utils)
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "deploy/install-tools.sh: no apt-get here; install ${missing[*]} for the deployment checks" >&2
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    echo "deploy/install-tools.sh: run 'sudo apt-get install -y --no-install-recommends ${missing[*]}'" >&2
    exit 0
fi
echo "Installing Debian packages for the deployment checks: ${missing[*]} ..."
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
    || { "${SUDO[@]}" apt-get update -q >/dev/null && "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; } \
    || echo "deploy/install-tools.sh: could not install ${missing[*]}; their checks will be skipped" >&2
# The package's service is not wanted here: the tests start their own server on a free port.
if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
    "${SUDO[@]}" systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
if command -v systemctl >/dev/null && systemctl is-active --quiet redis-server 2>/dev/null; then
    "${SUDO[@]}" systemctl disable --now redis-server >/dev/null 2>&1 || true
fi
exit 0
