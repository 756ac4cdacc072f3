#!/usr/bin/env bash
# Installs what building and testing Changemaker needs, skipping whatever is already there.
# Safe to run again: each step checks first. Only package registries are used.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.11
log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# The wasm-bindgen CLI must match the wasm-bindgen crate pinned in Cargo.toml exactly.
wasm_bindgen_version() {
  sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' Cargo.toml | head -n1
}

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_cargo_leptos() {
  if cargo leptos --version 2>/dev/null | grep -q " ${CARGO_LEPTOS_VERSION}"; then
    return
  fi
  log "installing cargo-leptos ${CARGO_LEPTOS_VERSION} (about 5 minutes, once)"
  # Its lockfile pins cargo-util-schemas 0.14.2, which needs a newer rustc than this machine's;
  # build from the crate's own source with that one package stepped back to 0.14.1.
  local src
  src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/cargo-leptos-${CARGO_LEPTOS_VERSION} 2>/dev/null | head -n1 || true)
  if [ -z "$src" ]; then
    # This attempt fails fast on the rust-version check, but leaves the source in cargo's cache.
    cargo install cargo-leptos --version "${CARGO_LEPTOS_VERSION}" --locked --features no_downloads >/dev/null 2>&1 || true
    src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/cargo-leptos-${CARGO_LEPTOS_VERSION} | head -n1)
  fi
  local work
  work=$(mktemp -d)
  cp -r "$src"/. "$work"
  # Its release profile (fat LTO, one codegen unit, -O3) took 12 min 23 s here, and -O1 without
  # LTO 9 to 10 min. It mostly runs other programs (cargo, wasm-bindgen, wasm-opt, Tailwind), so
  # it is built without optimisation but for its own crate and the crates it compresses the site
  # files with (brotli and gzip) at -O3: 304 s against 591 s. With those unoptimised too,
  # compressing took 98 s instead of 22 s; at -O1, 57 s, as rustc then reuses the unoptimised
  # copies of generic code (hash maps, say) that other crates made.
  local optimised=(cargo-leptos brotli brotli-decompressor alloc-no-stdlib alloc-stdlib
    libflate libflate_lz77 dary_heap adler32 crc32fast rle-decode-fast)
  local profile=(--config profile.release.opt-level=0 --config profile.release.lto=false
    --config profile.release.codegen-units=16)
  local package
  for package in "${optimised[@]}"; do
    profile+=(--config "profile.release.package.${package}.opt-level=3")
  done
  (cd "$work" && cargo update -p cargo-util-schemas --precise 0.14.1 \
    && cargo install --path . --locked --features no_downloads "${profile[@]}")
  rm -rf "$work"
}

ensure_wasm_bindgen_cli() {
  local want
  want=$(wasm_bindgen_version)
  if wasm-bindgen --version 2>/dev/null | grep -q " ${want}\$"; then
    return
  fi
  log "installing wasm-bindgen-cli ${want}"
  cargo install wasm-bindgen-cli --version "${want}" --force
}

ensure_npm_packages() {
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "installing npm packages (tailwindcss, binaryen, playwright, axe-core)"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
  fi
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    log "installing Debian's chromium"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium
  fi
}

case "${1:-all}" in
  build) ensure_wasm_target; ensure_cargo_leptos; ensure_wasm_bindgen_cli; ensure_npm_packages ;;
  all)
    # Debian's chromium downloads and installs while the Rust tools compile.
    ensure_chromium &
    chromium_install=$!
    ensure_wasm_target; ensure_cargo_leptos; ensure_wasm_bindgen_cli; ensure_npm_packages
    wait "$chromium_install" ;;
  cargo-leptos) ensure_cargo_leptos ;;
  *) echo "usage: $0 [build|all|cargo-leptos]" >&2; exit 2 ;;
esac
