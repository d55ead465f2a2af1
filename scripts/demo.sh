#!/usr/bin/env bash
# The demo: validates the sample ops repository, shows what each pipeline would do (jobs in order,
# approval gates, steps and the hosts they target), brings up the local sandbox (fake servers), runs the
# infra pipeline on it (SSH keys, then Caddy, both gates approved as the local operator), then the app
# pipeline, then the notes app with its database, then an app from a repository of its own taken by
# `slipway serve` from a signed push webhook.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SLIPWAY_ROOT"
set -euo pipefail
./bin/slipway validate
./bin/slipway --inventories inventories/sandbox describe
# --postgres: PostgreSQL 15 from Debian's packages for the notes app (built once per machine).
./bin/slipway sandbox up --postgres
# A run an earlier demo left at a gate holds its environment's lock: end it, or this demo's runs queue behind it.
for run in $(./bin/slipway runs --status waiting queued --json | node -e \
  'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).runs.map((r) => r.id).join(" "))'); do
  ./bin/slipway cancel "$run"
done
bash scripts/demo-infra.sh
bash scripts/demo-app.sh
bash scripts/demo-app-repo.sh
