#!/usr/bin/env bash
# The whole test suite: lint and format, types, then every unit and e2e test.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SLIPWAY_ROOT"
npx biome ci .
npx tsc --noEmit
npx vitest run "$@"
