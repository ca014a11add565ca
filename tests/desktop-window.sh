#!/usr/bin/env bash
# Opens the real desktop app under Xvfb against a relay in sandbox mode, logged in through the
# real Secret Service (gnome-keyring in a private D-Bus session), takes a screenshot and checks
# the window and the logged-in state. Prints first paint (ms) and memory after start (PSS, MiB,
# the app and its WebKit processes: shared pages counted once).
# The subscription is set up by `relay simulate` in one of the states a company meets: `once` (a
# one-off annual payment), `auto` (automatic renewal), `past_due` (a renewal charge failed) or
# `cancelled` (renewal stopped at the period's end), `disputed` (a payment disputed at the bank),
# `no_siren` (a company whose SIREN is not on file yet: the window asks for it).
# Usage: tests/desktop-window.sh <erp-btp-desktop binary> <relay binary> [screenshot.png] [state]
set -euo pipefail
here=$(dirname "$(realpath "$0")")
app=$(realpath "$1"); relay=$(realpath "$2"); shot=$(realpath -m "${3:-target/screenshots/desktop-window.png}")
mkdir -p "$(dirname "$shot")"
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
RELAY_ADDR=127.0.0.1:$port RELAY_METRICS_ADDR=127.0.0.1:0 APP_URL=http://127.0.0.1:$port DATABASE_URL="sqlite://$work/relay.db" \
  "$relay" serve --sandbox >"$work/relay.out" 2>"$work/relay.err" &
relay_pid=$!
trap 'kill $relay_pid 2>/dev/null || true; rm -rf "$work" 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q '^erpbtp_' "$work/relay.out" 2>/dev/null && break; sleep 0.1; done
token=$(grep '^erpbtp_' "$work/relay.out")
stripe_key=$(sed -n 's/^Clé secrète du Stripe simulé : //p' "$work/relay.out")
simulate() { "$relay" simulate --relay "http://127.0.0.1:$port" --token "$token" --stripe-key "$stripe_key" "$@" >/dev/null; }
case "${4:-once}" in
  once) simulate --plan annuel --outcome paid ;;
  auto) simulate subscribe ;;
  past_due) simulate subscribe && simulate renewal-failed ;;
  cancelled) simulate subscribe && simulate cancel-renewal ;;
  disputed) simulate --plan mensuel --outcome disputed && sleep 1 ;;
  no_siren) python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("UPDATE clients SET siren = NULL"); c.commit()' "$work/relay.db" ;;
  *) echo "unknown state $4"; exit 2 ;;
esac

export WORK=$work SHOT=$shot APP=$app
export ERP_BTP_RELAY_URL="http://127.0.0.1:$port" ERP_BTP_TOKEN="$token"
export HOME="$work/home" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config" XDG_CACHE_HOME="$work/cache"
mkdir -p "$HOME"
dbus-run-session -- bash "$here/desktop-window-session.sh"
# The app keeps the signed entitlement it showed: a disputed payment's news must be in it.
if [ "${4:-once}" = disputed ]; then
  python3 - "$XDG_DATA_HOME/fr.erp-btp.abonnement/session.json" <<'PY' || { echo "the dispute did not reach the app"; exit 1; }
import base64, json, sys
part = json.load(open(sys.argv[1]))["entitlement"].split(".")[0]
payload = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
assert payload["renewal"]["money_back"]["kind"] == "disputed", payload
PY
fi
