#!/usr/bin/env bash
# Bundles each action into actions/<name>/dist/index.js (committed: Actions run it without npm install).
# ESM because @actions/core 3 is ESM-only; the banner gives bundled CommonJS dependencies the `require`,
# `__filename` and `__dirname` they expect.
# Native addons (*.node: ssh2's optional crypto binding, cpu-features) stay out: ssh2 falls back to its
# JavaScript implementation when they cannot be loaded.
# Reproducible: no timestamps, so running it twice gives identical bytes.
#   scripts/build-actions.sh              bundle the working tree into actions/
#   scripts/build-actions.sh DIR          bundle the working tree into DIR/<name>/dist/index.js
#   scripts/build-actions.sh --from-head  bundle the last commit (not uncommitted edits) into actions/
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$here/.tools/node24/node_modules/node/bin:$PATH"
cd "$here"

if [[ "${1:-}" == "--from-head" ]]; then
  tree="$(mktemp -d)/head"
  trap 'git -C "$here" worktree remove --force "$tree" >/dev/null 2>&1 || true; git -C "$here" worktree prune' EXIT
  git worktree add --quiet --detach "$tree" HEAD
  ln -s "$here/node_modules" "$tree/node_modules"
  ln -s "$here/.tools" "$tree/.tools"
  bash "$tree/scripts/build-actions.sh" "$here/actions"
  exit 0
fi

out="${1:-actions}"
for action in run approve; do
  npx --no-install esbuild "actions/$action/src/main.ts" \
    --bundle --platform=node --target=node24 --format=esm \
    --outfile="$out/$action/dist/index.js" \
    --external:'*.node' --legal-comments=none --log-level=warning --minify-whitespace --minify-syntax \
    --banner:js="import { createRequire as __sw_cr } from 'node:module'; import { fileURLToPath as __sw_fp } from 'node:url'; import { dirname as __sw_dn } from 'node:path'; const require = __sw_cr(import.meta.url); const __filename = __sw_fp(import.meta.url); const __dirname = __sw_dn(__filename);"
done
