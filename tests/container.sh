#!/usr/bin/env bash
# The relay's container image and its Portainer stack, built and run for real with podman (no
# Docker engine and no registry here: tests/container/base-images.sh makes the base images).
#  1. the image: built from the Dockerfile, its size (target ≤ 120 MB), /healthz and the health
#     check, a non-root user, data kept across a restart on a volume, and a missing variable
#     refused with one French line;
#  2. the stack (deploy/compose.yaml + the development override compose.sandbox.yaml): PostgreSQL
#     and two relay replicas as separate processes; one sandbox payment made on the first
#     replica wakes a long poll held on the second with the new expiry.
# Prints one line per check and `container: N passed, M failed`; exit status 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
work="${CONTAINER_WORK:-/var/tmp/erp-btp-containers}"
mkdir -p "$work/target" "$HOME/.cargo/registry"

missing=()
for p in podman debootstrap runc podman-compose curl; do
  command -v "$p" > /dev/null || missing+=("$p")
done
# Podman's CNI networks resolve service names (the stack's `postgres`) only with this plugin.
[ -x /usr/lib/cni/dnsname ] || missing+=(dnsname)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    podman debootstrap runc podman-compose curl \
    golang-github-containernetworking-plugin-dnsname > /dev/null
fi
# What these machines accept: no default ulimits, runc with cgroupfs, events in a file.
cat > "$work/containers.conf" <<'EOF'
[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
export CONTAINERS_CONF="$work/containers.conf"

passed=0
failed=0
check() { # check "what" command…
  local what="$1"
  shift
  if "$@"; then
    echo "✔ $what"
    passed=$((passed + 1))
  else
    echo "✘ $what"
    failed=$((failed + 1))
  fi
}
healthy() { # healthy URL: /healthz answers 200 within 60 s
  for _ in $(seq 1 120); do
    curl -fsS -o /dev/null "$1/healthz" 2> /dev/null && return 0
    sleep 0.5
  done
  return 1
}
finish() {
  echo "container: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

bash tests/container/base-images.sh > "$work/base-images.log" 2>&1 || { failed=1; echo "✘ base images"; finish; }

# The host's trusted authorities, for cargo's downloads in the build: where egress goes through a
# proxy with its own certificate authority, the builder image's own list does not know it. Beside
# the image's list, not over it (the runtime stage installs its own), named in cargo's config.
ca=()
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  printf '[http]\ncainfo = "/usr/local/share/host-ca.crt"\n' > "$work/cargo-config.toml"
  ca=(-v /etc/ssl/certs/ca-certificates.crt:/usr/local/share/host-ca.crt:ro
    -v "$work/cargo-config.toml:/usr/local/cargo/config.toml:ro")
fi
started=$(date +%s)
if ! podman build "${ca[@]}" --isolation=chroot --network=host --format docker \
  --build-arg RUST_IMAGE=localhost/rust:1.95-bookworm \
  --build-arg BASE_IMAGE=localhost/debian:bookworm-slim \
  -v "$HOME/.cargo/registry:/usr/local/cargo/registry" -v "$work/target:/src/target" \
  -t erp-btp-relay:latest . > "$work/build.log" 2>&1; then
  tail -n 30 "$work/build.log"
  failed=1
  echo "✘ podman build"
  finish
fi
echo "image built in $(($(date +%s) - started)) s"
size=$(podman image inspect erp-btp-relay:latest --format '{{.Size}}')
size_mb=$((size / 1000000))
echo "image size: ${size_mb} MB"
check "image is at most 120 MB (${size_mb} MB)" test "$size_mb" -le 120

# --- 1. the image alone, on SQLite in a volume -------------------------------------------------
name=erp-btp-relay-test
podman rm -f "$name" > /dev/null 2>&1
podman volume rm -f erp-btp-relay-test-data > /dev/null 2>&1
podman volume create erp-btp-relay-test-data > /dev/null
port=18080
base="http://127.0.0.1:$port"
podman run -d --name "$name" -p "127.0.0.1:$port:8080" -v erp-btp-relay-test-data:/var/lib/relay \
  -e APP_URL="$base" erp-btp-relay:latest serve --sandbox > /dev/null 2>> "$work/podman.log"
check "the relay answers /healthz" healthy "$base"
check "the image's health check passes" podman healthcheck run "$name" 2>> "$work/podman.log"
check "it runs as the non-root user relay (uid 10001)" \
  test "$(podman exec "$name" id -u)" = 10001
token=$(podman exec "$name" relay clients add --id 39 --name "Maçonnerie Dupont" | tail -n 1)
podman restart "$name" > /dev/null 2>> "$work/podman.log"
healthy "$base"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$base/api/subscription")
check "a restart keeps the data: the client's token still works (HTTP $code)" test "$code" = 200
podman rm -f "$name" > /dev/null 2>&1
podman volume rm -f erp-btp-relay-test-data > /dev/null

err=$(podman run --rm --no-healthcheck erp-btp-relay:latest serve 2>&1 > /dev/null)
status=$?
echo "  missing variable → exit $status: $err"
check "a missing variable stops start-up with exit 2" test "$status" = 2
check "… and one French line naming it" \
  bash -c '[ "$(printf "%s\n" "$1" | wc -l)" = 1 ] && [[ "$1" == *STRIPE_SECRET_KEY*absente* ]]' _ "$err"

# --- 2. the stack: PostgreSQL and two relay replicas --------------------------------------------
project=erp-btp-stack
compose=(podman-compose -p "$project" -f deploy/compose.yaml -f deploy/compose.sandbox.yaml)
export POSTGRES_IMAGE=localhost/postgres:15
export POSTGRES_PASSWORD="stack-test-$RANDOM$RANDOM"
# Required by compose.yaml; not used in sandbox mode.
export STRIPE_SECRET_KEY=sk_test_unused STRIPE_PUBLISHABLE_KEY=pk_test_unused
export STRIPE_WEBHOOK_SECRET=whsec_unused APP_URL=http://127.0.0.1:8080
# Both replicas sign entitlements with the same key, from the environment as in production.
ENTITLEMENT_SIGNING_KEY=$(head -c 32 /dev/urandom | basenc --base64url | tr -d '=')
export ENTITLEMENT_SIGNING_KEY
stack_down() {
  "${compose[@]}" down -v > /dev/null 2>&1
  podman ps -aq --filter "label=com.docker.compose.project=$project" | xargs -r podman rm -f > /dev/null 2>&1
  # podman-compose 1.0 leaves the network behind; one made before the DNS plugin was installed
  # would never resolve `postgres`.
  podman network rm -f "${project}_default" > /dev/null 2>&1
}
stack_down
"${compose[@]}" up -d > "$work/compose.log" 2>&1 || tail -n 20 "$work/compose.log"
check "replica 1 answers on :8080" healthy http://127.0.0.1:8080
check "replica 2 answers on :8081" healthy http://127.0.0.1:8081
first=$(podman ps --filter "label=com.docker.compose.project=$project" \
  --filter "label=com.docker.compose.service=relay" --format '{{.Names}}' | head -n 1)
second=$(podman ps --filter "label=com.docker.compose.project=$project" \
  --filter "label=com.docker.compose.service=relay-2" --format '{{.Names}}' | head -n 1)
check "two relay processes in two containers ($first, $second)" \
  test -n "$first" -a -n "$second" -a "$first" != "$second"
token=$(podman exec "$first" relay clients add --id 39 --name "Maçonnerie Dupont" --siren 552100554 | tail -n 1)
poll="$work/long-poll.json"
rm -f "$poll"
curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:8081/api/subscription?wait=45&since=0" \
  -o "$poll" &
waiter=$!
sleep 1
session=$(curl -s -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"plan":"mensuel"}' http://127.0.0.1:8080/api/stripe/create-checkout-session)
url=$(printf '%s' "$session" | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])' 2> /dev/null)
# The billing address the checkout asks for (the facture needs it), as the sandbox's test form has it.
paid=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d method=card -d card_number=4242424242424242 \
  -d expiry=12/34 -d cvc=123 -d 'line1=1 rue de la Paix' -d postal_code=75002 -d city=Paris \
  -d country=FR "$url")
paid_at=$(date +%s.%N)
check "the sandbox checkout on replica 1 accepts card 4242 (HTTP $paid)" test "$paid" = 303
wait "$waiter"
woke_at=$(date +%s.%N)
echo "  long poll on replica 2: $(cat "$poll" 2> /dev/null | head -c 300)"
# The default plan renews automatically: the checkout's subscription, its paid invoice and the
# link each move the version, and the poll wakes at whichever commit comes first.
check "the long poll held on replica 2 wakes with the new expiry" python3 - "$poll" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["status"] == "active" and s["version"] >= 1 and s["expires_at"], s
EOF
echo "  woke $(python3 -c "print(round(($woke_at - $paid_at) * 1000))") ms after the payment"
check "the webhook landed on replica 1, not on replica 2" bash -c \
  'podman logs "$1" 2>&1 | grep -q "Webhook received: checkout.session.completed" &&
   ! podman logs "$2" 2>&1 | grep -q "Webhook received"' _ "$first" "$second"
stack_down
finish
