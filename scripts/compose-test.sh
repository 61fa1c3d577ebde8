#!/usr/bin/env bash
# `make compose-test`: the whole stack of docker-compose.yml built and run in containers, checked as
# its operators would (tests/test_deploy.py, the "running stack" part), then taken down again.
# Starts (and afterwards stops) a container engine where none runs, and builds the base images from
# Debian packages where no image registry answers. Prints how long each part took.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
phase() { echo "compose-test: $1 after $(( $(date +%s) - started )) s" >&2; }

eval "$(bash scripts/container-engine.sh start)"
trap 'bash scripts/container-engine.sh stop "$ENGINE_PID"' EXIT
phase "engine ready"
eval "$(bash scripts/base-images.sh)"
phase "base images ready"
COMPOSE_TEST=1 .venv/bin/python -m pytest -q -p no:cacheprovider -s tests/test_deploy.py -k test_stack
phase "stack checked and taken down"
