#!/usr/bin/env bash
# The app half of the demo, on the demo sandbox (run after the infra pipeline put Caddy on the hosts):
# builds apps/web once, pushes it, deploys it to dev, approves the prod gate as the local operator,
# deploys the same digest to prod; then the same for apps/notes, an app with a PostgreSQL database
# (a stateful service: its data survives releases, it is backed up before the migrations run); then the
# handbook (content/docs, synced as a release); then shows both apps and the handbook answering through
# Caddy, a note written and read back, and the database's backups.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SLIPWAY_ROOT"
set -euo pipefail
slipway=(./bin/slipway --inventories inventories/sandbox)
state=.slipway/sandbox/demo
# The sandbox registry's password: the pipelines read it from this variable (their secrets:).
SLIPWAY_REGISTRY_PASSWORD=$(node -p 'JSON.parse(require("fs").readFileSync(".slipway/sandbox/demo/registry/credentials.json", "utf8")).password')
# The notes database's password, made once and kept (0600): the database is initialised with it.
if [ ! -s "$state/notes-db-password" ]; then
  (umask 077 && node -p 'require("crypto").randomBytes(18).toString("base64url")' >"$state/notes-db-password")
fi
NOTES_DB_PASSWORD=$(cat "$state/notes-db-password")
export SLIPWAY_REGISTRY_PASSWORD NOTES_DB_PASSWORD

# Runs a pipeline to its prod gate ($2, default deploy-prod), approves it as the local operator (which
# continues the run).
run_and_approve() {
  local log=/tmp/slipway-demo-$1.log code run
  set +e
  "${slipway[@]}" run "pipelines/$1.yml" --detach 2> >(tee "$log" >&2)
  code=$?
  set -e
  sleep 0.2 # let tee flush
  if [ "$code" -eq 3 ]; then
    run=$(sed -n 's/^run \([0-9]*\) waiting.*/\1/p' "$log" | tail -1)
    "${slipway[@]}" approve "$run" "${2:-deploy-prod}"
  elif [ "$code" -ne 0 ]; then
    exit "$code"
  fi
}
run_and_approve app
run_and_approve notes
# The handbook: content/docs synced to the web hosts as a release, served by Caddy at /docs/.
run_and_approve docs docs-prod
"${slipway[@]}" releases prod

answer() { curl -s --max-time 10 --resolve "$1:80:$2" "http://$1$3" "${@:4}"; }
echo "--- dev1 (web.dev.example.test) ---"; answer web.dev.example.test 10.207.0.11 /cgi-bin/info
echo "--- prod1 (web.example.test) ---";    answer web.example.test 10.207.0.21 /cgi-bin/info
echo "--- prod2 (web.example.test) ---";    answer web.example.test 10.207.0.22 /cgi-bin/info
echo "--- dev1 (notes.dev.example.test): a note written, then every note; each deploy keeps them ---"
answer notes.dev.example.test 10.207.0.11 /cgi-bin/notes --data-binary "written by the demo at $(date -u +%H:%M:%S)" >/dev/null
answer notes.dev.example.test 10.207.0.11 /cgi-bin/notes
echo "--- prod2 (web.example.test/docs/): the handbook, a synced release ---"
answer web.example.test 10.207.0.22 /docs/ | grep -o '<h1>.*</h1>'
echo "--- backups of the notes database in dev (slipway restore dev notes BACKUP restores one) ---"
"${slipway[@]}" backups dev notes
