#!/usr/bin/env bash
# Builds the installable package: src/ compiled to JavaScript in dist/ (Node strips no types under
# node_modules), with the files src/ reads beside its modules (dashboard assets, the Ansible callback,
# sandbox image contexts). dist/ mirrors src/, so paths like `../../roles` resolve the same from both.
# Run by `npm pack` (prepack); `bin` in package.json points at dist/cli/bin.js.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$here/.tools/node24/node_modules/node/bin:$PATH"
cd "$here"
rm -rf dist
npx --no-install tsc -p tsconfig.build.json
(cd src && find . -type f ! -name '*.ts' -print0 | xargs -0 -I{} cp --parents -p {} ../dist/)
chmod +x dist/cli/bin.js
