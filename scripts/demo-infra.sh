#!/usr/bin/env bash
# The infra half of the demo, on the demo sandbox (`slipway sandbox up` first): shows the plan (per host
# and user, the SSH keys added and removed; Caddy's sites), runs pipelines/infra.yml, approves both gates
# as the local operator (ssh-keys on dev then prod, then Caddy on dev then prod), and plans again: an
# unchanged repository plans no changes.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SLIPWAY_ROOT"
set -euo pipefail
slipway=(./bin/slipway --inventories inventories/sandbox)

"${slipway[@]}" plan pipelines/infra.yml

# Runs a command that goes on until the next gate (exit 3): sets `waiting` to the run id waiting there,
# or to nothing once the run is over.
waiting=
step() {
  set +e
  "$@" 2> >(tee /tmp/slipway-demo-infra.log >&2)
  local code=$?
  set -e
  sleep 0.2 # let tee flush
  waiting=
  if [ "$code" -eq 3 ]; then waiting=$(sed -n 's/^run \([0-9]*\) waiting.*/\1/p' /tmp/slipway-demo-infra.log | tail -1)
  elif [ "$code" -ne 0 ]; then exit "$code"
  fi
}
step "${slipway[@]}" run pipelines/infra.yml --detach
run=$waiting
# Each gate: record the approval as the local operator, then continue until the next gate.
for job in ssh-keys-dev caddy-dev; do
  [ -n "$waiting" ] || break
  "${slipway[@]}" approve "$run" "$job" --no-continue
  step "${slipway[@]}" resume "$run" --detach
done

echo "--- a second plan of the unchanged repository ---"
"${slipway[@]}" plan pipelines/infra.yml
