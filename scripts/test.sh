#!/usr/bin/env bash
# Runs every test: formatting, clippy (-D warnings), unit and integration tests on SQLite and
# PostgreSQL, then the Playwright suite against the release build in Debian's Chromium.
# Installs what is missing first. Exits non-zero if anything fails or cannot run.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
disk() { echo "disk free: $(df -h --output=avail . | tail -n1 | tr -d ' '), target/: $(du -sh target 2>/dev/null | cut -f1)"; }

# Incremental-compilation caches only help repeated local builds; on a clean clone they are
# gigabytes of disk for nothing.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step "tools"
scripts/ensure-tools.sh all

disk

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (server side and browser side)"
cargo clippy -p app -p changemaker-server --all-targets --features app/ssr -- -D warnings
cargo clippy -p changemaker-frontend --target wasm32-unknown-unknown -- -D warnings

step "PostgreSQL for the tests"
source scripts/pg-cluster.sh
if [ -z "${CHANGEMAKER_TEST_DATABASE_URL:-}" ]; then
  pg_cluster_start
  trap pg_cluster_stop EXIT
else
  echo "using CHANGEMAKER_TEST_DATABASE_URL from the environment"
fi

step "unit and integration tests (SQLite and PostgreSQL)"
cargo test -p app -p changemaker-server --features app/ssr

disk

step "release build (one binary with its site files embedded)"
cargo leptos build --release --precompress --bin-features embed

step "browser tests (Playwright, Debian's Chromium)"
(cd end2end && npx playwright test)

disk
step "all tests passed"
