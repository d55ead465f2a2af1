#!/usr/bin/env bash
# The hand-written baseline of bench/app.ts: what a person would script to do what the app pipeline
# does for one host: docker build and push, then over ssh copy the files, log in, pull by digest,
# compose up, and wait until the container is healthy and answers its health check.
# Usage: app-baseline.sh IMAGE TAG VERSION BASE_IMAGE HOST PORT; REGISTRY_USER, REGISTRY_PASSWORD,
# SSH_KEY, KNOWN_HOSTS in the environment.
set -euo pipefail
image=$1 tag=$2 version=$3 base=$4 host=$5 port=$6
registry=${image%%/*}
here=$(cd "$(dirname "$0")/.." && pwd)
ssh_=(ssh -i "$SSH_KEY" -o UserKnownHostsFile="$KNOWN_HOSTS" -o StrictHostKeyChecking=yes -o BatchMode=yes "root@$host")

export DOCKER_CONFIG=$(mktemp -d)
trap 'rm -rf "$DOCKER_CONFIG"' EXIT
printf '%s' "$REGISTRY_PASSWORD" | docker login -u "$REGISTRY_USER" --password-stdin "$registry" >/dev/null
docker build -q --build-arg BASE_IMAGE="$base" --build-arg VERSION="$version" -t "$image:$tag" "$here/apps/web" >/dev/null
digest=$(docker push "$image:$tag" | sed -n 's/.*digest: \(sha256:[0-9a-f]*\).*/\1/p')

"${ssh_[@]}" 'mkdir -p /srv/baseline && cat > /srv/baseline/compose.yml' < "$here/apps/web/compose.yml"
printf 'SLIPWAY_IMAGE=%s\nSLIPWAY_PORT_WEB=%s\nSLIPWAY_VOLUME=/srv/baseline/volume\nSLIPWAY_ENVIRONMENT=test\nSLIPWAY_URL=\nSLIPWAY_RELEASE=%s\n' \
  "$image@$digest" "$port" "$tag" | "${ssh_[@]}" 'umask 077 && cat > /srv/baseline/.env'
printf '%s' "$REGISTRY_PASSWORD" | "${ssh_[@]}" "
  set -e
  export DOCKER_CONFIG=/srv/baseline/.docker
  docker login -u '$REGISTRY_USER' --password-stdin '$registry' >/dev/null
  docker pull -q '$image@$digest' >/dev/null
  docker logout '$registry' >/dev/null
  cd /srv/baseline && docker-compose -p baseline up -d 2>/dev/null
  c=\$(docker ps -q --filter label=com.docker.compose.project=baseline)
  until [ \"\$(docker inspect -f '{{.State.Health.Status}}' \$c)\" = healthy ]; do sleep 0.2; done
  until curl -fsS -o /dev/null http://127.0.0.1:$port/healthz; do sleep 0.2; done
"
