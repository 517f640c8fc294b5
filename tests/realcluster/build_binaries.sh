#!/usr/bin/env bash
# Build (once per machine) the real kube-apiserver the real-server test tier runs against, and
# install etcd. Both come only from package registries: kube-apiserver from the Go module proxy
# (k8s.io/kubernetes, its staging repos pinned to the matching v0.X.Y), etcd from Debian's
# etcd-server package. Binaries are cached outside the clone, keyed by version, so a machine
# pays the cold build (about 12 minutes on 2 cores) once.
#
#   tests/realcluster/build_binaries.sh        # prints the cache folder on its last line
#
# KUBE_APISERVER_VERSION picks the version; KUBECTL_NIM_TEST_BIN_CACHE the cache folder.
set -euo pipefail

version="${KUBE_APISERVER_VERSION:-1.37.2}"
cache="${KUBECTL_NIM_TEST_BIN_CACHE:-$HOME/.cache/kubectl-nim/realcluster}"
target="$cache/kube-apiserver-v$version"

log() { echo "build_binaries: $*" >&2; }

if ! command -v etcd >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "installing Debian's etcd-server"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null
        # The package starts a system etcd on :2379; the tests run their own on other ports.
        # (only that one: its command line is the bare binary; the tests' etcds carry flags).
        (systemctl stop etcd || service etcd stop || pkill -fx /usr/bin/etcd) >/dev/null 2>&1 || true
    else
        log "etcd is missing: install Debian's etcd-server (or put an etcd on PATH)"
        exit 1
    fi
fi

if [ -x "$target" ]; then
    log "kube-apiserver v$version cached at $target"
else
    command -v go >/dev/null 2>&1 || { log "Go is needed to build kube-apiserver"; exit 1; }
    mkdir -p "$cache"
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    minor="${version#*.}"
    log "building kube-apiserver v$version from the Go module proxy (cold: ~12 min on 2 cores)"
    cd "$work"
    go mod init kubectl-nim.test/apiserver >/dev/null 2>&1
    # k8s.io/kubernetes replaces its staging repos with ./staging paths that do not exist in the
    # module zip: point each one at its published v0.X.Y instead.
    gomod="$(go mod download -json "k8s.io/kubernetes@v$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
    sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$gomod" | while read -r repo; do
        go mod edit -replace "$repo=$repo@v0.$minor"
    done
    go get "k8s.io/kubernetes/cmd/kube-apiserver@v$version" >/dev/null 2>&1 || go get "k8s.io/kubernetes/cmd/kube-apiserver@v$version"
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$work/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
    mv "$work/kube-apiserver" "$target"
    log "built $target"
fi
echo "$cache"
