#!/usr/bin/env bash
# Runs k8s.io/apiserver's etcd3 storage tests (pkg/storage/etcd3/..., which include the shared
# pkg/storage/testing suites, and pkg/storage/cacher/...) against capstan, the way kine runs them: a private copy of
# k8s.io/apiserver at the version matching the pinned kube-apiserver, with its testserver package
# replaced by test/compat/kube-storage/testserver (each RunEtcd starts a fresh capstan member).
#
#   npm run test:kube-storage                      # everything
#   npm run test:kube-storage -- -run 'TestList'   # extra `go test` arguments
#
# Environment: CAPSTAN_MAIN (default: this repo's dist/src/server/main.js, built first),
# CAPSTAN_KUBE_STORAGE_DIR (work dir; default ~/.cache/capstan-reference/kube-storage-<version>),
# KUBE_STORAGE_TIMEOUT (go test -timeout, default 40m), KUBE_STORAGE_PACKAGES (default
# "./pkg/storage/etcd3/... ./pkg/storage/cacher/...": the cacher's tests run the shared suites through
# the watch cache on top of the etcd3 store, so capstan's progress notifications are exercised too).
# Output: <work dir>/go-test.log (full) and a summary of failed tests; exit status is go test's.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
# shellcheck source=reference-versions.env
source scripts/reference-versions.env
APISERVER_VERSION="v0.${KUBE_VERSION#v1.}"
WORK=${CAPSTAN_KUBE_STORAGE_DIR:-${CAPSTAN_REFERENCE_CACHE:-$HOME/.cache/capstan-reference}/kube-storage-$APISERVER_VERSION}
export GOTOOLCHAIN=local GOFLAGS="-mod=mod -buildvcs=false"

if [[ -z "${CAPSTAN_MAIN:-}" ]]; then
  npm run build --silent
  export CAPSTAN_MAIN="$REPO/dist/src/server/main.js"
fi
[[ -f "$CAPSTAN_MAIN" ]] || { echo "kube-storage: CAPSTAN_MAIN=$CAPSTAN_MAIN does not exist" >&2; exit 1; }
export CAPSTAN_NODE=${CAPSTAN_NODE:-$(command -v node)}

# A fresh copy each run: the module cache's copy is read-only and must never be edited in place.
SRC=$(go mod download -json "k8s.io/apiserver@$APISERVER_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
[[ -d "$SRC" ]] || { echo "kube-storage: cannot download k8s.io/apiserver@$APISERVER_VERSION" >&2; exit 1; }
mkdir -p "$WORK"
rm -rf "$WORK/apiserver"
cp -r "$SRC" "$WORK/apiserver"
chmod -R u+w "$WORK/apiserver"
cp test/compat/kube-storage/testserver/test_server.go "$WORK/apiserver/pkg/storage/etcd3/testserver/test_server.go"

PACKAGES=${KUBE_STORAGE_PACKAGES:-./pkg/storage/etcd3/... ./pkg/storage/cacher/...}
echo "kube-storage: k8s.io/apiserver@$APISERVER_VERSION $PACKAGES against capstan ($CAPSTAN_MAIN)"
cd "$WORK/apiserver"
set +e
go test -count=1 -p 1 -timeout "${KUBE_STORAGE_TIMEOUT:-40m}" $PACKAGES "$@" -v > "$WORK/go-test.log" 2>&1
STATUS=$?
set -e
grep -aE '^(ok|FAIL|---|panic)' "$WORK/go-test.log" | grep -avE '^--- (PASS|SKIP)' || true
PASSED=$(grep -acE '^\s*--- PASS' "$WORK/go-test.log" || true)
FAILED=$(grep -acE '^\s*--- FAIL' "$WORK/go-test.log" || true)
SKIPPED=$(grep -acE '^\s*--- SKIP' "$WORK/go-test.log" || true)
echo "kube-storage: $PASSED passed, $FAILED failed, $SKIPPED skipped (subtests included); log: $WORK/go-test.log"
exit $STATUS
