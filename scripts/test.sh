#!/usr/bin/env bash
# Runs every test: formatting, clippy (-D warnings), unit and integration tests on SQLite and
# PostgreSQL, then the Playwright suite in Debian's Chromium against the server binary the
# test build made (debug, site files embedded) and the release-optimised site files.
# Installs what is missing first. Exits non-zero if anything fails or cannot run.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step says how long the run has taken so far, so a slow CI run shows where it went.
step() { printf '\n\033[1m==> %s\033[0m (%d min %02d s in)\n' "$*" $((SECONDS / 60)) $((SECONDS % 60)); }
disk() { echo "disk free: $(df -h --output=avail . | tail -n1 | tr -d ' '), target/: $(du -sh target 2>/dev/null | cut -f1)"; }

# Incremental-compilation caches only help repeated local builds; on a clean clone they are
# gigabytes of disk for nothing.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step "tools"
scripts/ensure-tools.sh all

disk

step "cargo fmt --check"
cargo fmt --all -- --check

# Clippy's lints run inside the builds the tests need anyway: cargo compiles the project's own
# crates with scripts/clippy-rustc (rustc with clippy's lints, any warning an error). Clippy's
# own check builds compiled every dependency once more, for both sides: 400 s from a clean clone.
export RUSTC_WORKSPACE_WRAPPER="$PWD/scripts/clippy-rustc"

# The site files (wasm, JS, CSS) come first: the test build embeds them. The test
# build's server binary, made from the same compiled crates as the tests, is the one the
# browser tests drive. That saves a second, release build of the whole server (twelve minutes
# or more on two cores).
#
# wasm-opt gets -O1 here, not the -Oz a release gets: npm's wasm-opt runs in node on one core
# and takes 45 seconds at -O1 against seven minutes at -Oz. Both give the same program (the wasm
# is 8.8 MB against 7.7 MB).
#
# For the same reason the wasm is compiled in sixteen pieces without link-time optimisation:
# the release profile's one piece and whole-program optimisation keep one core busy while the
# other waits. From a clean clone the site files took 356 s against 607 s, for a wasm 4% larger
# (11.5 MB against 11.0 MB before wasm-opt).
step "site files (release wasm without LTO, wasm-opt -O1, Tailwind, precompressed), linted"
CARGO_PROFILE_WASM_RELEASE_LTO=false CARGO_PROFILE_WASM_RELEASE_CODEGEN_UNITS=16 \
  LEPTOS_WASM_OPT_FEATURES="-O1,--enable-bulk-memory,--enable-nontrapping-float-to-int" \
  cargo leptos build --release --precompress --frontend-only

# Every target, the benchmarks too, so that clippy sees them all; the tests run below.
step "test build (server side), linted"
cargo test -p app -p changemaker-server --features app/ssr,changemaker-server/embed --all-targets --no-run

step "PostgreSQL and a temp directory for the tests"
source scripts/pg-cluster.sh
test_tmp=""
cleanup() {
  pg_cluster_stop
  if [ -n "$test_tmp" ]; then rm -rf "$test_tmp"; fi
}
trap cleanup EXIT
# The tests' SQLite files, the browser tests' data directories and Chromium's profiles are
# throwaway: in memory (/dev/shm) each commit skips the wait for the disk that SQLite's
# synchronous=FULL makes (the integration tests took 374 s against 401 to 419 s on disk), just
# as the PostgreSQL cluster runs with fsync off.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  test_tmp=$(mktemp -d /dev/shm/changemaker-tests.XXXXXX)
  export TMPDIR="$test_tmp"
fi
if [ -z "${CHANGEMAKER_TEST_DATABASE_URL:-}" ]; then
  pg_cluster_start
else
  echo "using CHANGEMAKER_TEST_DATABASE_URL from the environment"
fi

step "unit and integration tests (SQLite and PostgreSQL)"
cargo test -p app -p changemaker-server --features app/ssr,changemaker-server/embed

disk

step "browser tests (Playwright, Debian's Chromium)"
# Playwright's own `test` leaves open the pages a test opens; helpers.ts's closes them.
if grep -lE 'import \{[^}]*\btest\b[^}]*\} from "@playwright/test"' end2end/tests/*.spec.ts; then
  echo "these specs must take \`test\` from ./helpers, not from @playwright/test" >&2
  exit 1
fi
(cd end2end && npx playwright test)

disk
step "all tests passed"
