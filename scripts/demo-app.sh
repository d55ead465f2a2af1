#!/usr/bin/env bash
# The app half of the demo, on the demo sandbox (run after the infra pipeline put Caddy on the hosts):
# builds apps/web once, pushes it, deploys it to dev, approves the prod gate as the local operator,
# deploys the same digest to prod, then shows the app answering through Caddy in both environments.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SLIPWAY_ROOT"
set -euo pipefail
slipway=(./bin/slipway --inventories inventories/sandbox)
# The sandbox registry's password: the pipeline reads it from this variable (pipelines/app.yml secrets).
SLIPWAY_REGISTRY_PASSWORD=$(node -p 'JSON.parse(require("fs").readFileSync(".slipway/sandbox/demo/registry/credentials.json", "utf8")).password')
export SLIPWAY_REGISTRY_PASSWORD

set +e
"${slipway[@]}" run pipelines/app.yml --detach 2> >(tee /tmp/slipway-demo-app.log >&2)
code=$?
set -e
if [ "$code" -eq 3 ]; then
  run=$(sed -n 's/^run \([0-9]*\) waiting.*/\1/p' /tmp/slipway-demo-app.log | tail -1)
  "${slipway[@]}" approve "$run" deploy-prod
elif [ "$code" -ne 0 ]; then
  exit "$code"
fi
"${slipway[@]}" releases prod --app web

answer() { curl -s --max-time 10 --resolve "$1:80:$2" "http://$1/cgi-bin/info"; }
echo "--- dev1 (web.dev.example.test) ---"; answer web.dev.example.test 10.207.0.11
echo "--- prod1 (web.example.test) ---";    answer web.example.test 10.207.0.21
echo "--- prod2 (web.example.test) ---";    answer web.example.test 10.207.0.22
