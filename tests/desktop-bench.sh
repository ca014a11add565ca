#!/usr/bin/env bash
# Desktop app benchmark: release binary size (profile desktop-release), start to first paint
# under Xvfb and memory after start (the app and its WebKit processes), median of 5 runs.
# Writes its section of BENCHMARKS.md.   Usage: bash tests/desktop-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --prefix ui build >/dev/null
cargo build --profile desktop-release -p erp-btp-desktop
cargo build --release -p relay
app=target/desktop-release/erp-btp-desktop
size=$(stat -c %s "$app")
paints=(); mems=()
for run in 1 2 3 4 5; do
  line=$(bash tests/desktop-window.sh "$app" target/release/relay "target/screenshots/desktop-window-release.png" | grep first_paint_ms=)
  paints+=("$(echo "$line" | sed 's/.*first_paint_ms=\([0-9]*\).*/\1/')")
  mems+=("$(echo "$line" | sed 's/.*pss_mib=\([0-9]*\).*/\1/')")
done
median() { printf '%s\n' "$@" | sort -n | sed -n 3p; }
paint=$(median "${paints[@]}"); mem=$(median "${mems[@]}")
mb=$(python3 -c "print(f'{$size/1e6:.1f}')")
echo "release binary ${mb} MB, first paint ${paint} ms (runs: ${paints[*]}), memory ${mem} MiB (runs: ${mems[*]})"
python3 - "$mb" "$paint" "$mem" "${paints[*]}" "${mems[*]}" <<'PY'
import sys, datetime, os
mb, paint, mem, paints, mems = sys.argv[1:]
body = f"""## Desktop app

Written by `bash tests/desktop-bench.sh`: profile `desktop-release` (fat LTO, opt-level "s", stripped, panic=abort); the window under Xvfb 1280×800 against `relay serve --sandbox`, logged in through gnome-keyring; median of 5 runs ({datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC).

| figure | target | measured |
|---|---|---|
| release binary size | ≤ 8 MB | {mb} MB |
| start → first paint (window painted) | ≤ 1.5 s | {paint} ms (runs: {paints}) |
| memory after start (app + WebKit processes, PSS) | — | {mem} MiB (runs: {mems}) |
"""
path = "BENCHMARKS.md"
old = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
start, end = "<!-- desktop-bench:start -->", "<!-- desktop-bench:end -->"
section = f"{start}\n{body}{end}"
if start in old and end in old:
    new = old[:old.index(start)] + section + old[old.index(end) + len(end):]
else:
    new = old.rstrip() + "\n\n" + section + "\n"
open(path, "w").write(new)
PY
