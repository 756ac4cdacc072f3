#!/usr/bin/env bash
# Sets up what is missing, builds the release binary (site files embedded) and runs it on
# http://127.0.0.1:3000 with SQLite under ./data. A second run rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-tools.sh build
cargo leptos build --release --precompress --bin-features embed
exec target/release/changemaker "$@"
