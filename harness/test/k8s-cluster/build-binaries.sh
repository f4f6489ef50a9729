#!/usr/bin/env bash
# Builds the binaries of the Kubernetes test cluster from the Go module proxy and caches them:
# kube-apiserver, kube-controller-manager and kube-scheduler from k8s.io/kubernetes at a tagged
# release, and kwok.
# Only what is missing is built, so a second call returns at once. The first build needs about 21
# CPU-minutes (about 10 minutes on two idle cores) and leaves about 5 GB in Go's caches.
#
# k8s.io/kubernetes is not meant to be used as a module: its go.mod points the k8s.io/* staging
# modules at ./staging/src, which a dependant does not see. A throw-away module requires it and
# pins every staging module to the matching published v0.x version instead.
set -euo pipefail

KUBERNETES_VERSION="${KUBERNETES_VERSION:-v1.36.1}"
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cache="${K8S_TEST_CLUSTER_CACHE:-$root/.cache/k8s-test-cluster}"
bin="$cache/bin/kubernetes-$KUBERNETES_VERSION"

# Two callers at once (parallel tests, a test and `make k8s-test-cluster`) build once: the
# second waits here and then finds the binaries.
mkdir -p "$cache"
exec 9>"$cache/.build.lock"
flock 9

need_kubernetes=0
for b in kube-apiserver kube-controller-manager kube-scheduler; do [ -x "$bin/$b" ] || need_kubernetes=1; done
need_kwok=0
[ -x "$bin/kwok-$KWOK_VERSION" ] || need_kwok=1
if [ "$need_kubernetes" = 0 ] && [ "$need_kwok" = 0 ]; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "k8s-test-cluster: Go is needed to build the test cluster (apt-get install golang-go, or Go >= 1.25 from go.dev)" >&2; exit 1; }
mkdir -p "$bin"
started=$(date +%s)

if [ "$need_kubernetes" = 1 ]; then
  staging_version="v0.${KUBERNETES_VERSION#v1.}"
  minor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2)
  work="$cache/build-module-$KUBERNETES_VERSION"
  rm -rf "$work" && mkdir -p "$work"
  # The staging modules are the ones k8s.io/kubernetes requires at the placeholder v0.0.0.
  mod=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
  {
    echo "module loadlab.local/k8s-test-cluster"
    echo
    echo "go 1.25"
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    awk '/^\t+k8s\.io\/[^ ]+ v0\.0\.0$/ { print "replace " $1 " => " $1 " '"$staging_version"'" }' "$mod"
  } >"$work/go.mod"
  cat >"$work/tools.go" <<'EOF'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
EOF
  (
    cd "$work"
    echo "k8s-test-cluster: resolving k8s.io/kubernetes $KUBERNETES_VERSION with k8s.io/* staging modules at $staging_version" >&2
    GOFLAGS=-mod=mod go mod tidy -e >&2 2>"$work/tidy.log" || { cat "$work/tidy.log" >&2; exit 1; }
    echo "k8s-test-cluster: building kube-apiserver, kube-controller-manager and kube-scheduler (the first time takes minutes)" >&2
    nice -n 10 go build -trimpath -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor" \
      -o "$bin/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler >&2
  )
fi

if [ "$need_kwok" = 1 ]; then
  echo "k8s-test-cluster: building kwok $KWOK_VERSION" >&2
  GOBIN="$bin/.kwok" nice -n 10 go install "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" >&2
  mv "$bin/.kwok/kwok" "$bin/kwok-$KWOK_VERSION" && rmdir "$bin/.kwok"
fi

echo "k8s-test-cluster: built in $(($(date +%s) - started)) s into $bin" >&2
echo "$bin"
