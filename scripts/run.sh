#!/usr/bin/env bash
# Sets up what is missing, builds the release binary (site files embedded) and runs it on
# http://127.0.0.1:3000 with SQLite under ./data. When no source changed since the last
# build, it starts the existing binary straight away.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-tools.sh build
bin=target/release/changemaker
# Written after this script's own build: a binary newer than it was rebuilt by something else
# (`cargo bench` builds one without the site files embedded), so it is built again.
stamp=target/release/changemaker.embedded
changed=""
if [ -x "$bin" ] && [ -f "$stamp" ] && [ ! "$bin" -nt "$stamp" ]; then
  changed=$(find app server frontend style migrations Cargo.toml Cargo.lock package-lock.json \
    -newer "$stamp" -print -quit)
else
  changed="$bin"
fi
if [ -n "$changed" ]; then
  cargo leptos build --release --precompress --bin-features embed
  touch "$stamp"
fi
exec "$bin" "$@"
