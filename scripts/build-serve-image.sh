#!/usr/bin/env bash
# Builds the `slipway serve` image (packaging/Dockerfile) from this checkout's package (npm pack).
#   scripts/build-serve-image.sh [--base IMAGE] [--offline] [--node-on DEBIAN_IMAGE] [TAG]
#   --base IMAGE            Debian with Node 24 and npm (default: the Dockerfile's node:24-bookworm-slim)
#   --offline               the image takes its npm dependencies from a cache this machine fills first
#                           (for builds that cannot reach the npm registry, or not through its TLS)
#   --node-on DEBIAN_IMAGE  make the base here: this machine's Node 24 and npm on DEBIAN_IMAGE (e.g. the
#                           sandbox's slipway-cache/debian:bookworm, made with mmdebstrap + docker import),
#                           tagged slipway-local/node:24; for machines that cannot pull node images
# TAG defaults to slipway:<version>.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$here/.tools/node24/node_modules/node/bin:$PATH"
base="" offline="" node_on=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --base) base="$2"; shift 2 ;;
    --offline) offline=1; shift ;;
    --node-on) node_on="$2"; shift 2 ;;
    -*) echo "build-serve-image: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
tag="${1:-slipway:$(node -p "require('$here/package.json').version")}"
ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT

if [[ -n "$node_on" ]]; then
  mkdir "$ctx/base"
  cp "$(command -v node)" "$ctx/base/node"
  cp -a "$(dirname "$(readlink -f "$(command -v npm)")")/.." "$ctx/base/npm"
  printf '%s\n' "FROM $node_on" 'COPY node /usr/local/bin/node' 'COPY npm /usr/local/lib/node_modules/npm' \
    'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && node --version && npm --version' \
    >"$ctx/base/Dockerfile"
  docker build -q -t slipway-local/node:24 "$ctx/base" >/dev/null
  base="${base:-slipway-local/node:24}"
  rm -rf "$ctx/base"
fi

(cd "$here" && npm pack --pack-destination "$ctx" >/dev/null)
cp "$here/packaging/Dockerfile" "$ctx/"
args=()
[[ -n "$base" ]] && args+=(--build-arg "BASE=$base")
if [[ -n "$offline" ]]; then
  # An install on this machine fills the cache with exactly the dependencies the image needs.
  npm install -g --prefix "$ctx/prefix" --cache "$ctx/npm-cache" --omit=dev --no-audit --no-fund \
    --prefer-offline "$ctx"/slipway-*.tgz >/dev/null
  rm -rf "$ctx/prefix"
  args+=(--build-arg "NPM_INSTALL_FLAGS=--offline --cache /tmp/slipway/npm-cache")
fi
docker build "${args[@]}" -t "$tag" "$ctx"
echo "built $tag"
