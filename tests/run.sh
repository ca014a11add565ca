#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine with Rust and Node: installs what is missing
# (tests/setup.sh: Debian packages, Node packages, PostgreSQL up, ui/dist built), then runs every
# Rust test of the workspace, which drive Chromium, Xvfb and the Vitest tests themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh
cargo test --workspace "$@"
