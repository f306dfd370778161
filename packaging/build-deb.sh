#!/usr/bin/env bash
# Builds target/debian/heapscope_<version>_<arch>.deb with cargo-deb (the
# metadata is in Cargo.toml under [package.metadata.deb]).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo deb --version >/dev/null 2>&1; then
    cargo install cargo-deb --locked
fi
cargo deb "$@"
ls -l target/debian/*.deb
