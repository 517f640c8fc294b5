#!/usr/bin/env bash
# A cold `.ci/run`, timed: a fresh clone of this repository (HEAD) with ../shared beside it and
# every cache empty (Go's module and build caches, pip's, uv's, PyInstaller's, the real-cluster
# binaries and Krew), so every module comes from the registries and everything is compiled.
# Each output line is timestamped, so the steps' times can be read off the log
# (BENCHMARKS.md, "A real control plane").
#
#   benchmarks/cold_ci.sh [WORKDIR]   # default /tmp/kubectl-nim-cold; needs ~10 GiB there
set -u
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-/tmp/kubectl-nim-cold}"
shared="$(cd "$repo/../shared" 2>/dev/null && pwd)" || { echo "no ../shared beside $repo" >&2; exit 2; }
rm -rf "$work" && mkdir -p "$work/cache"
git clone -q "$repo" "$work/main" && ln -s "$shared" "$work/shared"
export GOMODCACHE="$work/cache/gomod" GOCACHE="$work/cache/gobuild" XDG_CACHE_HOME="$work/cache/xdg" \
  KUBECTL_NIM_TEST_BIN_CACHE="$work/cache/realcluster" KUBECTL_NIM_KREW_CACHE="$work/cache/krew" \
  PIP_NO_CACHE_DIR=1 UV_CACHE_DIR="$work/cache/uv" CI=true
cd "$work/main"
echo "$(date -u +%T) start $(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s)
( bash .ci/run 2>&1; echo "exit code $?" ) | while IFS= read -r line; do echo "$(date -u +%T) $line"; done
echo "$(date -u +%T) done in $(( $(date +%s) - start )) s, load $(cut -d' ' -f1-3 /proc/loadavg)"
