#!/usr/bin/env bash
# Build (once per machine) the binaries the real-server test tier runs, all from the Go module
# proxy only, cached outside the clone keyed by version (a cached run takes about a second):
#
#   kube-apiserver, kube-controller-manager, kube-scheduler   k8s.io/kubernetes, one wrapper
#       module and one `go build` (its staging repos pinned to the matching v0.X.Y)
#   etcd          go.etcd.io/etcd/server/v3 via a wrapper module (Debian's 3.4 is outside
#                 kube-apiserver 1.37's supported range and breaks newer clients' watches)
#   kwok          sigs.k8s.io/kwok/cmd/kwok (fake nodes and kubelets for the control plane)
#   kserve-v*/manager   github.com/kserve/kserve ./cmd/manager, built as its own main module so
#                 its replace lines apply; its CRDs, ConfigMap and webhooks from the same zip
#
#   tests/realcluster/build_binaries.sh            # everything; prints the cache folder last
#   tests/realcluster/build_binaries.sh apiserver  # only what the API-server tier needs
#
# Cold times on 2 cores are in BENCHMARKS.md. Versions: KUBE_APISERVER_VERSION, ETCD_VERSION,
# KWOK_VERSION, KSERVE_VERSION; the cache folder: KUBECTL_NIM_TEST_BIN_CACHE.
set -euo pipefail

version="${KUBE_APISERVER_VERSION:-1.37.2}"
etcd_version="${ETCD_VERSION:-3.6.17}"
kwok_version="${KWOK_VERSION:-0.8.0}"
kserve_version="${KSERVE_VERSION:-0.17.0}"
cache="${KUBECTL_NIM_TEST_BIN_CACHE:-$HOME/.cache/kubectl-nim/realcluster}"
what="${1:-all}"

log() { echo "build_binaries: $*" >&2; }
command -v go >/dev/null 2>&1 || { log "Go is needed (the binaries are built from the Go module proxy)"; exit 1; }
mkdir -p "$cache"
export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:--buildvcs=false}"
work="$(mktemp -d)"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
gobuild() { go build -trimpath -ldflags "-s -w" "$@"; }
timed() {  # timed NAME CMD...: run, log the wall time
    local start=$SECONDS
    "$@"
    log "$1: done in $((SECONDS - start)) s"
}

kubernetes() {
    local names=(kube-apiserver kube-controller-manager kube-scheduler) missing=() n
    for n in "${names[@]}"; do [ -x "$cache/$n-v$version" ] || missing+=("$n"); done
    if [ ${#missing[@]} = 0 ]; then log "kubernetes v$version cached"; return; fi
    log "building ${missing[*]} v$version (cold: ~11 min on 2 cores for the three, modules downloaded included)"
    local dir="$work/kubernetes" minor="${version#*.}" gomod repo
    mkdir -p "$dir/out" && cd "$dir"
    go mod init kubectl-nim.test/apiserver >/dev/null 2>&1
    # k8s.io/kubernetes replaces its staging repos with ./staging paths that do not exist in the
    # module zip: point each one at its published v0.X.Y instead.
    gomod="$(go mod download -json "k8s.io/kubernetes@v$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
    sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$gomod" | while read -r repo; do
        go mod edit -replace "$repo=$repo@v0.$minor"
    done
    for n in "${missing[@]}"; do
        go get "k8s.io/kubernetes/cmd/$n@v$version" >/dev/null 2>&1 || go get "k8s.io/kubernetes/cmd/$n@v$version"
    done
    gobuild -o "$dir/out/" "${missing[@]/#/k8s.io/kubernetes/cmd/}"
    for n in "${missing[@]}"; do mv "$dir/out/$n" "$cache/$n-v$version"; done
}

etcd() {
    if [ -x "$cache/etcd-v$etcd_version" ]; then log "etcd v$etcd_version cached"; return; fi
    log "building etcd v$etcd_version (cold: ~2 min on 2 cores)"
    local dir="$work/etcd"
    mkdir -p "$dir" && cd "$dir"
    go mod init kubectl-nim.test/etcd >/dev/null 2>&1
    cat > main.go <<'EOF'
// The etcd binary: go.etcd.io/etcd/v3's main, which `go install` cannot build (replace lines).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
    go get "go.etcd.io/etcd/server/v3@v$etcd_version" >/dev/null 2>&1 || go get "go.etcd.io/etcd/server/v3@v$etcd_version"
    local sub
    for sub in api/v3 client/pkg/v3 client/v3 pkg/v3; do  # the server's siblings, same release
        go get "go.etcd.io/etcd/$sub@v$etcd_version" >/dev/null 2>&1
    done
    go mod tidy >/dev/null 2>&1 || go mod tidy
    gobuild -o "$work/etcd-bin" .
    mv "$work/etcd-bin" "$cache/etcd-v$etcd_version"
}

kwok() {
    if [ -x "$cache/kwok-v$kwok_version" ] && [ -d "$cache/kwok-v$kwok_version-stages" ]; then log "kwok v$kwok_version cached"; return; fi
    log "building kwok v$kwok_version (cold: ~2 min on 2 cores)"
    GOBIN="$work/kwok-bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$kwok_version"
    # The stages kwok ships (kwokctl's defaults): nodes initialised and kept alive with leases,
    # pods Ready at once, Job pods complete, deleted pods go.
    local src stages="$work/kwok-stages"
    src="$(go mod download -json "sigs.k8s.io/kwok@v$kwok_version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
    mkdir -p "$stages"
    cp "$src"/kustomize/stage/node/fast/node-initialize.yaml \
        "$src"/kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
        "$src"/kustomize/stage/pod/fast/pod-*.yaml "$stages/"
    rm -rf "$cache/kwok-v$kwok_version-stages" && mv "$stages" "$cache/kwok-v$kwok_version-stages"
    mv "$work/kwok-bin/kwok" "$cache/kwok-v$kwok_version"
}

kserve() {
    local out="$cache/kserve-v$kserve_version"
    if [ -x "$out/manager" ]; then log "kserve v$kserve_version cached"; return; fi
    log "building KServe's controller manager v$kserve_version (cold: ~4 min on 2 cores)"
    local src
    src="$(go mod download -json "github.com/kserve/kserve@v$kserve_version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
    [ -d "$src" ] || { log "github.com/kserve/kserve@v$kserve_version not in the module proxy"; exit 1; }
    # Its own main module (a copy: the module cache is read-only) so its replace lines apply.
    cp -r "$src" "$work/kserve" && chmod -R u+w "$work/kserve" && cd "$work/kserve"
    mkdir -p "$work/kserve-out/crds"
    gobuild -o "$work/kserve-out/manager" ./cmd/manager
    # The CRDs InferenceService/ServingRuntime reconciliation lists and watches, not the
    # LLMInferenceService ones (they nearly double the API server's memory); the
    # inferenceservice-config ConfigMap and the webhook configurations, as released.
    cp config/crd/full/serving.kserve.io_*.yaml config/crd/full/clusterstoragecontainer/serving.* \
        config/crd/full/localmodel/serving.* "$work/kserve-out/crds/"
    cp config/configmap/inferenceservice.yaml "$work/kserve-out/inferenceservice-config.yaml"
    cp config/webhook/manifests.yaml "$work/kserve-out/webhooks.yaml"
    rm -rf "$out" && mv "$work/kserve-out" "$out"
}

case "$what" in
    apiserver) parts=(etcd kubernetes) ;;
    all) parts=(etcd kubernetes kwok kserve) ;;
    *) parts=("$@") ;;
esac
# Each part in turn (in parallel they only compete for the same cores); a failed one does not
# stop the others, but fails the run.
failed=()
for part in "${parts[@]}"; do
    set +e  # (a subshell on the left of || would run with errexit off)
    (set -e; timed "$part")
    rc=$?
    set -e
    [ $rc = 0 ] || { log "$part: build failed"; failed+=("$part"); }
done
[ ${#failed[@]} = 0 ] || { log "failed: ${failed[*]}"; exit 1; }
echo "$cache"
