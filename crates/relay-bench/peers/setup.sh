#!/usr/bin/env bash
# Installs the peers relay-bench compares the relay with: a Python venv (FastAPI, uvicorn,
# stripe-python, from PyPI) and Node packages (express, stripe-node, better-sqlite3, pg, from
# npm), both beside this script. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"
[ -x .venv/bin/uvicorn ] || { python3 -m venv .venv && .venv/bin/pip install -q -r requirements.txt; }
[ -d node_modules/better-sqlite3 ] || npm install --no-audit --no-fund --silent
