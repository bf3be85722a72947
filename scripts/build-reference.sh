#!/usr/bin/env bash
# Builds the reference programs (etcd, etcdctl, etcdutl, benchmark, kube-apiserver, kubectl) from Go
# modules at the versions pinned in scripts/reference-versions.env, into the git-ignored .reference/bin/.
#
# Binaries are built once per machine into a cache outside the repo, because CI runs in a fresh clone
# on this same machine and a kube-apiserver build takes many minutes:
#   ${CAPSTAN_REFERENCE_CACHE:-$HOME/.cache/capstan-reference}/<family>-<version>/bin/<program>
# Each program in .reference/bin/ has a stamp file <program>.version naming the pinned version it was
# taken from, so a pin change replaces it and an unchanged pin is reused.
#
# Usage: scripts/build-reference.sh [--only etcd|kube] [--help]
set -euo pipefail

# The whole script is one brace group, which bash parses before running any of it: editing this file
# (or a git pull) while a long kube build runs cannot make the running copy execute shifted text.
{

usage() {
  cat <<'EOF'
usage: scripts/build-reference.sh [--only etcd|kube]

Builds etcd, etcdctl, etcdutl, benchmark (family "etcd") and kube-apiserver, kubectl (family "kube")
at the versions in scripts/reference-versions.env into .reference/bin/, reusing whatever is already
built at the pinned version (in .reference/bin/ or in the machine-wide cache).

environment:
  CAPSTAN_REFERENCE_CACHE  machine-wide cache (default: $HOME/.cache/capstan-reference)
EOF
}

ONLY=all
while [ $# -gt 0 ]; do
  case "$1" in
    --only)
      [ $# -ge 2 ] || { echo "build-reference: --only needs an argument: etcd or kube" >&2; exit 2; }
      ONLY="$2"; shift 2 ;;
    --only=*) ONLY="${1#--only=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build-reference: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
case "$ONLY" in
  all|etcd|kube) ;;
  *) echo "build-reference: --only must be etcd or kube, not '$ONLY'" >&2; exit 2 ;;
esac

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=reference-versions.env
source "$REPO_ROOT/scripts/reference-versions.env"
: "${ETCD_VERSION:?ETCD_VERSION missing from scripts/reference-versions.env}"
: "${KUBE_VERSION:?KUBE_VERSION missing from scripts/reference-versions.env}"

BIN_DIR="$REPO_ROOT/.reference/bin"
CACHE_DIR="${CAPSTAN_REFERENCE_CACHE:-$HOME/.cache/capstan-reference}"

command -v go >/dev/null 2>&1 || { echo "build-reference: 'go' is not on PATH; install Go >= 1.23" >&2; exit 1; }
command -v flock >/dev/null 2>&1 || { echo "build-reference: 'flock' (util-linux) is not on PATH" >&2; exit 1; }

# A module's go.mod may demand a newer Go than the machine has; we want that said, not a silent
# toolchain download.
export GOTOOLCHAIN=local
export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0

mkdir -p "$BIN_DIR" "$CACHE_DIR"

# One lock for the whole machine: it guards the cache and every clone's .reference/bin/, so two test
# runs (or two clones) never build the same thing twice or copy a half-written binary.
exec 9>"$CACHE_DIR/.lock"
if ! flock -n 9; then
  echo "build-reference: another build holds $CACHE_DIR/.lock; waiting for it" >&2
  flock 9
fi

GO_VERSION="$(go env GOVERSION)"

fail() {
  echo "build-reference: FAILED: $*" >&2
  exit 1
}

# Runs a go command in a wrapper module; on failure repeats the Go error and explains a too-new go line.
run_go() {
  local dir="$1"; shift
  local log="$dir/last-go-command.log"
  if ! (cd "$dir" && "$@") >"$log" 2>&1; then
    cat "$log" >&2
    if grep -q 'requires go >=' "$log"; then
      echo "build-reference: a module needs a newer Go than the local $GO_VERSION (GOTOOLCHAIN=local);" \
        "install that Go or pin an older version in scripts/reference-versions.env" >&2
    fi
    fail "$* (in $dir)"
  fi
}

# Puts the cached binary into .reference/bin/ without ever exposing a partial file there: hard link
# when cache and repo share a file system, copy otherwise, then rename into place.
install_from_cache() {
  local name="$1" version="$2" cached="$3"
  local tmp="$BIN_DIR/.$name.tmp.$$"
  rm -f "$tmp"
  ln "$cached" "$tmp" 2>/dev/null || cp "$cached" "$tmp"
  chmod 0755 "$tmp"
  mv -f "$tmp" "$BIN_DIR/$name"
  echo "$version" >"$BIN_DIR/$name.version.tmp.$$"
  mv -f "$BIN_DIR/$name.version.tmp.$$" "$BIN_DIR/$name.version"
}

is_current() {
  local name="$1" version="$2"
  [ -x "$BIN_DIR/$name" ] && [ -f "$BIN_DIR/$name.version" ] && [ "$(cat "$BIN_DIR/$name.version")" = "$version" ]
}

# Builds one family into its cache directory; <names> and <packages> are parallel lists.
build_family() {
  local family="$1" version="$2" ldflags="$3"; shift 3
  local -a names=() packages=()
  while [ $# -gt 0 ]; do names+=("$1"); packages+=("$2"); shift 2; done

  local family_dir="$CACHE_DIR/$family-$version"
  local cache_bin="$family_dir/bin"
  local module_dir="$family_dir/module"
  mkdir -p "$cache_bin" "$module_dir"

  local i name pkg missing=()
  for i in "${!names[@]}"; do
    name="${names[$i]}"
    if is_current "$name" "$version"; then
      echo "reused  $name $version (already in .reference/bin)"
    elif [ -x "$cache_bin/$name" ]; then
      install_from_cache "$name" "$version" "$cache_bin/$name"
      echo "reused  $name $version (from cache $cache_bin)"
    else
      missing+=("$i")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0

  local prepare_started=$SECONDS
  prepare_module_"$family" "$module_dir" "$version"
  echo "build-reference: resolved the $family $version wrapper module in $((SECONDS - prepare_started))s" >&2
  for i in "${missing[@]}"; do
    name="${names[$i]}"; pkg="${packages[$i]}"
    local started=$SECONDS tmp="$cache_bin/.$name.tmp.$$"
    run_go "$module_dir" go build -p 2 -trimpath -ldflags "-s -w $ldflags" -o "$tmp" "$pkg"
    mv -f "$tmp" "$cache_bin/$name"
    install_from_cache "$name" "$version" "$cache_bin/$name"
    echo "built   $name $version in $((SECONDS - started))s ($GO_VERSION)"
  done
}

# Wrapper module: every etcd module's go.mod has `replace ../...` directives, which `go install
# pkg@version` refuses; as dependencies of our own module those replaces are ignored.
prepare_module_etcd() {
  local dir="$1" version="$2"
  if [ ! -f "$dir/go.mod" ]; then
    run_go "$dir" go mod init local/capstan-reference-etcd
  fi
  run_go "$dir" go get \
    "go.etcd.io/etcd/server/v3@$version" \
    "go.etcd.io/etcd/etcdctl/v3@$version" \
    "go.etcd.io/etcd/etcdutl/v3@$version" \
    "go.etcd.io/etcd/v3@$version"
}

# Wrapper module: k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with
# ./staging/src/...; we replace each with its published v0.<minor>.<patch> instead.
prepare_module_kube() {
  local dir="$1" version="$2"
  if [ ! -f "$dir/go.mod" ]; then
    run_go "$dir" go mod init local/capstan-reference-kube
  fi
  local info gomod
  info="$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$version" 2>&1)" \
    || { echo "$info" >&2; fail "go mod download k8s.io/kubernetes@$version"; }
  gomod="$(printf '%s\n' "$info" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  [ -f "$gomod" ] || fail "no go.mod for k8s.io/kubernetes@$version in: $info"
  local staged m
  staged="$(sed -n 's|^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*|\1|p' "$gomod")"
  [ -n "$staged" ] || fail "found no staging replaces in $gomod; the recipe needs updating"
  local -a edits=()
  for m in $staged; do edits+=("-replace=$m=$m@v0.${version#v1.}"); done
  run_go "$dir" go mod edit "${edits[@]}"
  run_go "$dir" go get "k8s.io/kubernetes/cmd/kube-apiserver@$version" "k8s.io/kubernetes/cmd/kubectl@$version"
}

if [ "$ONLY" = all ] || [ "$ONLY" = etcd ]; then
  build_family etcd "$ETCD_VERSION" "" \
    etcd go.etcd.io/etcd/server/v3 \
    etcdctl go.etcd.io/etcd/etcdctl/v3 \
    etcdutl go.etcd.io/etcd/etcdutl/v3 \
    benchmark go.etcd.io/etcd/v3/tools/benchmark
fi

if [ "$ONLY" = all ] || [ "$ONLY" = kube ]; then
  # Without these, /version reports v0.0.0; kubectl's client version comes from client-go.
  KUBE_MINOR="$(echo "$KUBE_VERSION" | cut -d. -f2)"
  KUBE_LDFLAGS=""
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    KUBE_LDFLAGS+=" -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$KUBE_MINOR"
    KUBE_LDFLAGS+=" -X $p.gitTreeState=clean"
  done
  build_family kube "$KUBE_VERSION" "$KUBE_LDFLAGS" \
    kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver \
    kubectl k8s.io/kubernetes/cmd/kubectl
fi

exit 0
}
