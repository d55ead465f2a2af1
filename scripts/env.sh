#!/usr/bin/env bash
# Prepares a fresh machine for Slipway (Node 24 project-local, npm packages, and, as root on Debian,
# the system packages the sandbox needs), then puts Node 24 first on PATH. Sourced by the other scripts.
set -euo pipefail
SLIPWAY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export SLIPWAY_ROOT
NODE_DIR="$SLIPWAY_ROOT/.tools/node24"
NODE_BIN="$NODE_DIR/node_modules/node/bin"

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  local sys
  sys="$(command -v node || true)"
  if [[ -n "$sys" && "$(node_major "$sys")" -ge 24 ]]; then return; fi
  if [[ ! -x "$NODE_BIN/node" || "$(node_major "$NODE_BIN/node")" -lt 24 ]]; then
    echo "slipway: installing Node 24 into .tools/node24 (the system's node is older)" >&2
    mkdir -p "$NODE_DIR"
    npm install --no-save --no-package-lock --prefix "$NODE_DIR" node@24 >"$NODE_DIR/install.log" 2>&1 \
      || { cat "$NODE_DIR/install.log" >&2; exit 1; }
  fi
  export PATH="$NODE_BIN:$PATH"
}

# Debian packages the sandbox, the e2e tests and the browser tests use.
APT_PACKAGES=(docker.io openssh-server openssh-client caddy ansible-core docker-registry docker-compose
  busybox-static iproute2 iptables openssl apache2-utils wrk curl chromium mmdebstrap)

ensure_system_packages() {
  [[ "${SLIPWAY_SKIP_APT:-}" == 1 ]] && return
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
    echo "slipway: missing system packages: ${missing[*]}" >&2
    echo "install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "slipway: installing ${missing[*]}" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# `npm ci`: exactly the lock, never rewriting it (the lock records every platform's optional packages).
# The stamp is a copy of the lock installed last; contents are compared, as a checkout touches the time.
ensure_npm_packages() {
  local stamp="$SLIPWAY_ROOT/node_modules/.slipway-lock-stamp"
  if ! cmp -s "$SLIPWAY_ROOT/package-lock.json" "$stamp"; then
    (cd "$SLIPWAY_ROOT" && npm ci --no-audit --no-fund >&2)
    cp "$SLIPWAY_ROOT/package-lock.json" "$stamp"
  fi
}

ensure_node
ensure_system_packages
ensure_npm_packages
