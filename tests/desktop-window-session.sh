#!/usr/bin/env bash
# The part of tests/desktop-window.sh that runs inside its private D-Bus session: unlocks
# gnome-keyring, starts Xvfb, opens the app, waits for its first paint and its login, takes the
# screenshot and prints first paint (ms) and memory (PSS, MiB).
# Reads WORK, SHOT, APP and the app's environment from tests/desktop-window.sh.
set -euo pipefail
printf "test-password" | gnome-keyring-daemon --unlock --components=secrets >/dev/null

xvfb=""
stop_x() { [ -z "$xvfb" ] || { kill "$xvfb" 2>/dev/null || true; wait "$xvfb" 2>/dev/null || true; }; xvfb=""; }
trap stop_x EXIT
# Xvfb picks a free display itself and writes its number once it listens (xvfb-run -a guesses
# from lock files, and a display still closing from the previous run can fool it); the display is
# used only once a client (xdpyinfo) has been served on it.
start_x() {
  stop_x
  # Emptied here, not only by the redirection below: that one runs in the background job, maybe
  # after the wait loop has read a retry's stale number.
  : >"$WORK/display"
  Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$WORK/display" 2>"$WORK/xvfb.log" &
  xvfb=$!
  for _ in $(seq 200); do [ -s "$WORK/display" ] && break; sleep 0.05; done
  [ -s "$WORK/display" ] || { echo "Xvfb did not start"; cat "$WORK/xvfb.log"; exit 1; }
  export DISPLAY=":$(head -1 "$WORK/display")"
  for _ in $(seq 100); do xdpyinfo >/dev/null 2>&1 && return; sleep 0.05; done
  echo "Xvfb on $DISPLAY serves no client"; cat "$WORK/xvfb.log"; exit 1
}

# One retry, only when GTK could not open the display (seen once in CI on a loaded machine):
# anything else the app does wrong fails at once.
for attempt in 1 2; do
  start_x
  start=$(date +%s%N)
  "$APP" >"$WORK/app.log" 2>&1 &
  app_pid=$!
  painted=""
  for _ in $(seq 300); do
    pixel=$(import -window root -crop 1x1+4+4 txt:- 2>/dev/null | tail -1 || true)
    if echo "$pixel" | grep -qi "#FFFFFF"; then painted=$(( ($(date +%s%N) - start) / 1000000 )); break; fi
    kill -0 "$app_pid" 2>/dev/null || break
    sleep 0.02
  done
  [ -n "$painted" ] && break
  kill "$app_pid" 2>/dev/null || true
  wait "$app_pid" 2>/dev/null || true
  if [ "$attempt" = 1 ] && grep -q "Failed to initialize GTK" "$WORK/app.log"; then
    echo "GTK could not open $DISPLAY; starting a new Xvfb" >&2
    cat "$WORK/xvfb.log" >&2
    continue
  fi
  echo "the window never painted"; cat "$WORK/app.log"; cat "$WORK/xvfb.log"; exit 1
done

for _ in $(seq 100); do [ -s "$XDG_DATA_HOME/fr.erp-btp.abonnement/session.json" ] && break; sleep 0.1; done
sleep 1.5
xwininfo -root -tree | grep -q "ERP BTP — Abonnement" || { echo "no window titled ERP BTP — Abonnement"; exit 1; }
import -window root "$SHOT"
pss=0
for pid in $app_pid $(pgrep -P "$app_pid" || true); do
  pss=$((pss + $(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)))
done
kill "$app_pid"
grep -q entitlement "$XDG_DATA_HOME/fr.erp-btp.abonnement/session.json" || { echo "not logged in"; cat "$WORK/app.log"; exit 1; }
echo "first_paint_ms=$painted pss_mib=$((pss / 1024)) screenshot=$SHOT"
