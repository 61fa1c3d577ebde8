#!/usr/bin/env bash
# The images docker-compose.yml starts from, where no image registry answers.
#
#   eval "$(scripts/base-images.sh)"     # needs DOCKER (see scripts/container-engine.sh)
#
# If the compose file's default images can be pulled (or are there already), nothing is built and
# nothing is printed. Otherwise it builds stand-ins from Debian packages (deploy/images/*, FROM a
# Debian base made with debootstrap) once — later runs find them in the engine's image store — and
# prints the variables that make docker-compose.yml use them. WOHNENPLUS_LOCAL_IMAGES=1 forces the
# stand-ins. Progress goes to stderr.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DOCKER=${DOCKER:-docker}
LOCAL=wohnenplus-local
SUITE=bookworm
say() { echo "base-images: $*" >&2; }

have() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

# The compose file's defaults (keep in step with docker-compose.yml).
UPSTREAM=(python:3.11-slim-bookworm postgres:16 rabbitmq:3.13-management prom/prometheus:v2.53.2 axllent/mailpit:v1.21)

registry_answers() {
    local image
    for image in "${UPSTREAM[@]}"; do
        have "$image" && continue
        timeout 120 "$DOCKER" pull -q "$image" >/dev/null 2>&1 || return 1
    done
}

debian_base() {
    have "$LOCAL/debian:$SUITE" && return 0
    command -v debootstrap >/dev/null || {
        say "installing debootstrap ..."
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null; }
    }
    local dir; dir=$(mktemp -d)
    trap 'rm -rf "$dir"' RETURN
    say "making the Debian $SUITE base with debootstrap (about a minute) ..."
    debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$dir" >"$ROOT/var/compose/debootstrap.log" 2>&1 \
        || { tail -20 "$ROOT/var/compose/debootstrap.log" >&2; return 1; }
    # Package downloads inside builds go through the same network as this host: trust what it trusts
    # (where HTTPS is re-signed on the way, pip in an image needs that certificate).
    if [ -s /etc/ssl/certs/ca-certificates.crt ]; then
        cp /etc/ssl/certs/ca-certificates.crt "$dir/usr/local/share/ca-certificates/host-trust.crt"
        chroot "$dir" update-ca-certificates >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
    tar -C "$dir" -c . | "$DOCKER" import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
        --change 'CMD ["bash"]' - "$LOCAL/debian:$SUITE" >/dev/null
}

# The tag carries a digest of the image's folder: a changed Dockerfile or script builds anew.
tag() {  # name version
    echo "$2-$(cd "$ROOT/deploy/images/$1" && cat $(ls) | sha256sum | cut -c1-10)"
}

build() {  # name tag
    have "$LOCAL/$1:$2" && return 0
    say "building $LOCAL/$1:$2 from Debian packages ..."
    DOCKER_BUILDKIT=0 "$DOCKER" build -q --build-arg "BASE=$LOCAL/debian:$SUITE" -t "$LOCAL/$1:$2" \
        "$ROOT/deploy/images/$1" >"$ROOT/var/compose/build-$1.log" 2>&1 \
        || { tail -30 "$ROOT/var/compose/build-$1.log" >&2; return 1; }
}

mkdir -p "$ROOT/var/compose"
if [ "${WOHNENPLUS_LOCAL_IMAGES:-0}" != 1 ] && registry_answers; then
    say "the compose file's images are available"
    exit 0
fi
say "no image registry answers: using images built from Debian packages"
debian_base
PYTHON_TAG=$(tag python 3.11) POSTGRES_TAG=$(tag postgres 15) RABBITMQ_TAG=$(tag rabbitmq 3.10)
PROMETHEUS_TAG=$(tag prometheus 2.42) MAIL_TAG=$(tag mailcatcher 1)
# In parallel: most of each build is waiting for package downloads.
pids=()
for image in "python $PYTHON_TAG" "postgres $POSTGRES_TAG" "rabbitmq $RABBITMQ_TAG" "prometheus $PROMETHEUS_TAG" \
             "mailcatcher $MAIL_TAG"; do
    build $image & pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
[ "$failed" = 0 ] || { say "a base image did not build (logs: var/compose/build-*.log)"; exit 1; }
cat <<EOF
export PYTHON_IMAGE=$LOCAL/python:$PYTHON_TAG
export POSTGRES_IMAGE=$LOCAL/postgres:$POSTGRES_TAG
export RABBITMQ_IMAGE=$LOCAL/rabbitmq:$RABBITMQ_TAG
export PROMETHEUS_IMAGE=$LOCAL/prometheus:$PROMETHEUS_TAG
export MAIL_CATCHER_IMAGE=$LOCAL/mailcatcher:$MAIL_TAG
EOF
