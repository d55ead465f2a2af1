#!/usr/bin/env bash
# The demo: validates the sample ops repository, shows what each pipeline would do (jobs in order,
# approval gates, steps and the hosts they target), brings up the local sandbox (fake servers), runs the
# infra pipeline on it (SSH keys, then Caddy, both gates approved as the local operator), then the app
# pipeline.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SLIPWAY_ROOT"
set -euo pipefail
./bin/slipway validate
./bin/slipway --inventories inventories/sandbox describe
./bin/slipway sandbox up
bash scripts/demo-infra.sh
bash scripts/demo-app.sh
