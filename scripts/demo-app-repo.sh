#!/usr/bin/env bash
# An app repository apart from the ops repository (README "App repositories"), on the demo sandbox after
# demo-infra.sh (whose Caddy already routes hello.dev.example.test and hello.example.test to app `hello`).
# Made afresh under .slipway/sandbox/demo/app-repo/ each time:
# - hello.git, the app repository acme/hello: apps/web's files and its own .slipway/pipeline.yml;
# - ops.git, the demo's ops repository acme/ops: this checkout's HEAD on `main`, plus one commit that points
#   slipway.yml's `apps: hello` at hello.git and makes the sandbox's inventories its dev and prod ones (with
#   absolute key paths: runs read them from a tree of the ops commit, where no .slipway/ directory is);
# - `slipway serve` on a clone of ops.git, its own state; a signed push webhook of hello's commit; the run
#   (build, push, deploy to dev, then prod; the ops repository's gates approved as the local operator);
#   `slipway show` names both commits; hello answers through Caddy; a push of a repository nobody
#   registered queues nothing (serve logs it as ignored).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SLIPWAY_ROOT"
set -euo pipefail
dir=$PWD/.slipway/sandbox/demo/app-repo
rm -rf "$dir"
mkdir -p "$dir"
git=(git -c user.name="Slipway demo" -c user.email=demo@example.test -c init.defaultBranch=main)
SLIPWAY_REGISTRY_PASSWORD=$(node -p 'JSON.parse(require("fs").readFileSync(".slipway/sandbox/demo/registry/credentials.json", "utf8")).password')
export SLIPWAY_REGISTRY_PASSWORD

echo "--- the ops repository acme/ops: this checkout, hello's url and the sandbox's inventories committed on main ---"
git init -q --bare -b main "$dir/ops.git"
git push -q "$dir/ops.git" HEAD:refs/heads/main
git clone -q "$dir/ops.git" "$dir/ops"
sed -i "s|^\(    url:\) https://git.example.test/acme/hello.git|\1 $dir/hello.git|" "$dir/ops/slipway.yml"
for env in dev prod; do
  rm -rf "$dir/ops/inventories/$env"
  cp -r "inventories/sandbox/$env" "$dir/ops/inventories/$env"
  sed -i "s|\.slipway/sandbox/demo/|$PWD/.slipway/sandbox/demo/|g" "$dir/ops/inventories/$env/group_vars/all.yml"
done
grep -q "url: $dir/hello.git" "$dir/ops/slipway.yml" # the sample registers hello at its forge's url
"${git[@]}" -C "$dir/ops" add -A
"${git[@]}" -C "$dir/ops" commit -q -m "demo: app hello at $dir/hello.git; the sandbox's inventories"
git -C "$dir/ops" push -q origin main
git -C "$dir/ops" show --stat --format='%h %s' HEAD | sed 's/^/  /'
grep -A4 '^apps:' "$dir/ops/slipway.yml"

echo "--- the app repository acme/hello: its files, checked against the ops repository, then pushed ---"
mkdir "$dir/hello"
cp -r apps/web/Dockerfile apps/web/compose.yml apps/web/www "$dir/hello/"
sed -i 's/echo "web /echo "hello /' "$dir/hello/Dockerfile" # its /version.txt says which app answers
mkdir "$dir/hello/.slipway"
cat >"$dir/hello/.slipway/pipeline.yml" <<'EOF'
# hello's pipeline: paths are relative to this repository; environments, hosts, sites and gates are the
# ops repository's (each job gets the strictest gate its pipelines put on the job's environment).
name: hello
on: { push: { branches: [main] } }
image: 10.207.0.1:5000/acme/hello
registry: { username: slipway, password_secret: registry_password }
secrets: { registry_password: { env: SLIPWAY_REGISTRY_PASSWORD } }
jobs:
  build:
    steps:
      - build: { context: ., args: { BASE_IMAGE: 10.207.0.1:5000/sandbox/busybox:latest, VERSION: "1.0" } }
  push: { needs: [build], steps: [ { push: {} } ] }
  deploy-dev:
    needs: [push]
    environment: dev
    steps: [ { deploy: { app: hello, compose: compose.yml, hosts: web, services: { web: healthy } } } ]
  deploy-prod:
    needs: [deploy-dev]
    environment: prod
    steps: [ { deploy: { app: hello, compose: compose.yml, hosts: web, services: { web: healthy } } } ]
EOF
ls -A "$dir/hello"
./bin/slipway -C "$dir/ops" validate --app hello --app-dir "$dir/hello"
"${git[@]}" -C "$dir/hello" init -q
"${git[@]}" -C "$dir/hello" add -A
"${git[@]}" -C "$dir/hello" commit -q -m "hello 1.0"
git init -q --bare -b main "$dir/hello.git"
git -C "$dir/hello" push -q "$dir/hello.git" main
app_sha=$(git -C "$dir/hello" rev-parse HEAD)

echo "--- slipway serve --repository acme/ops on a clone of the ops repository (log: $dir/serve.log) ---"
SLIPWAY_STATE=$dir/state/state.db
# The ops repository's webhook secret, and the app repositories' own (their webhooks post to
# /webhooks/github/apps, which takes their pushes only: the ops secret also signs approval comments).
SLIPWAY_WEBHOOK_SECRET=$(node -p 'require("crypto").randomBytes(24).toString("hex")')
SLIPWAY_APP_WEBHOOK_SECRET=$(node -p 'require("crypto").randomBytes(24).toString("hex")')
export SLIPWAY_STATE SLIPWAY_WEBHOOK_SECRET SLIPWAY_APP_WEBHOOK_SECRET
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
url=http://127.0.0.1:$port
./bin/slipway -C "$dir/ops" serve --listen "127.0.0.1:$port" --repository acme/ops 2>"$dir/serve.log" &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null || true' EXIT
until curl -sf "$url/healthz" >/dev/null; do
  kill -0 "$serve_pid" 2>/dev/null || { cat "$dir/serve.log"; exit 1; }
  sleep 0.2
done
slipway=(./bin/slipway -C "$dir/ops")

# The newest run's id and status, and the job of its first pending gate (or -): sets `run`, `status`, `gate`.
newest_run() {
  read -r run status < <("${slipway[@]}" runs --limit 1 --json | node -e \
    'const r = JSON.parse(require("fs").readFileSync(0, "utf8")).runs[0]; console.log(r ? `${r.id} ${r.status}` : "- none")')
  gate=$("${slipway[@]}" approvals --json | RUN=$run node -e \
    'const g = JSON.parse(require("fs").readFileSync(0, "utf8")).find((g) => String(g.runId) === process.env.RUN); console.log(g ? g.job : "-")')
}

node scripts/demo-push.ts "$url" acme/hello "$app_sha"
# Until the run is over (5 minutes at most): each gate it stops at (an app's jobs get the gates the ops
# repository's pipelines put on their environment) is shown and approved as the local operator; serve's
# worker continues the run.
deadline=$((SECONDS + 300))
while newest_run; [[ ! $status =~ ^(succeeded|failed|canceled)$ ]]; do
  if ((SECONDS > deadline)); then echo "run $run is still $status" >&2; cat "$dir/serve.log" >&2; exit 1; fi
  if [ "$gate" != - ]; then
    "${slipway[@]}" approvals
    "${slipway[@]}" approve "$run" "$gate" --no-continue
    echo "(serve's worker continues run $run)"
  fi
  sleep 0.5
done
"${slipway[@]}" show "$run"
[ "$status" = succeeded ] || { cat "$dir/serve.log" >&2; exit 1; }

answer() { curl -s --max-time 10 --resolve "$1:80:$2" "http://$1$3"; }
echo "--- dev1 (hello.dev.example.test) ---"; answer hello.dev.example.test 10.207.0.11 /cgi-bin/info
echo "--- prod2 (hello.example.test) ---";    answer hello.example.test 10.207.0.22 /cgi-bin/info

echo "--- a signed push of acme/stranger, a repository slipway.yml does not register ---"
node scripts/demo-push.ts "$url" acme/stranger "$app_sha"
for i in $(seq 50); do grep -q 'ignored: push to acme/stranger' "$dir/serve.log" && break; sleep 0.2; done
grep -o 'ignored: push to acme/stranger.*' "$dir/serve.log"
"${slipway[@]}" runs

kill "$serve_pid"
wait "$serve_pid" || true
trap - EXIT
