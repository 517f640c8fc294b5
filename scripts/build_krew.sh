#!/usr/bin/env bash
# Build (once per machine) the real Krew that tests/release/test_krew_install.py installs the release
# archive with. Krew comes only from the Go module proxy (sigs.k8s.io/krew); the binary is cached
# outside the clone, keyed by version, so a machine pays the cold build once.
#
#   scripts/build_krew.sh        # prints the path of the krew binary on its last line
#
# KREW_VERSION picks the version (v0.4.4 is the newest the proxy serves: v0.4.5 is refused with
# 403 "not available"); KUBECTL_NIM_KREW_CACHE the cache folder.
set -euo pipefail

version="${KREW_VERSION:-v0.4.4}"
cache="${KUBECTL_NIM_KREW_CACHE:-$HOME/.cache/kubectl-nim/krew}"
target="$cache/krew-$version"

log() { echo "build_krew: $*" >&2; }

if [ -x "$target" ]; then
    log "krew $version cached at $target"
else
    command -v go >/dev/null 2>&1 || { log "Go is needed to build krew"; exit 1; }
    mkdir -p "$cache"
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    log "building krew $version from the Go module proxy"
    started=$(date +%s)
    # GOBIN: install straight into the work folder; -mod=mod: krew's go.mod is resolved as is.
    GOFLAGS=-mod=mod GOBIN="$work" CGO_ENABLED=0 \
        go install -trimpath -ldflags "-s -w" "sigs.k8s.io/krew/cmd/krew@$version"
    mv "$work/krew" "$target"
    log "built $target in $(( $(date +%s) - started )) s"
fi
echo "$target"
