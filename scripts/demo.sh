#!/usr/bin/env bash
# The demo: validates the sample ops repository, then shows what each pipeline would do
# (jobs in order, approval gates, steps and the hosts they target). Later it grows into a sandbox run.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SLIPWAY_ROOT"
./bin/slipway validate
./bin/slipway --inventories inventories/sandbox describe
