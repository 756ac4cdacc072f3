#!/usr/bin/env bash
# Sets up what is missing, builds the release binary (site files embedded) and runs it on
# http://127.0.0.1:3000 with SQLite under ./data. When no source changed since the last
# build, it starts the existing binary straight away.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-tools.sh build
bin=target/release/changemaker
changed=""
if [ -x "$bin" ]; then
  changed=$(find app server frontend style migrations Cargo.toml Cargo.lock package-lock.json \
    -newer "$bin" -print -quit)
fi
if [ ! -x "$bin" ] || [ -n "$changed" ]; then
  cargo leptos build --release --precompress --bin-features embed
fi
exec "$bin" "$@"
