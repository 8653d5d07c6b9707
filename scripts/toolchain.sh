#!/usr/bin/env bash
# Builds the engine the end-to-end suite runs on: etcd, kube-apiserver and kube-controller-manager, the
# Pulumi CLI and pulumi-resource-kubernetes, from the Go module proxy with the machine's Go, into a cache
# keyed by version (a second run costs nothing). The Python language host is not built: the proxy serves
# no version of its module (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3), so the
# suite runs the program through the Automation API's inline path, which needs no host binary.
# The node (`make up NODE=1`, tests/node/test_node.py) adds kubelet, kube-scheduler and kubectl from the same
# Kubernetes module, containerd, runc and kube-router (its NetworkPolicy firewall alone): `node` builds those
# (seccomp from Debian's libseccomp-dev, for runc). The node's storage: rancher's local-path-provisioner
# (`local-path`), its only version the proxy serves. `gvisor` builds gVisor's runsc and its containerd shim, on
# request only: no lane runs them yet (docs/gvisor.md says why the node does not).
# Usage: scripts/toolchain.sh [etcd|kube|provider|pulumi|actionlint|kubelet|containerd|runc|kube-router|local-path|
#   gvisor|node|all|paths]...   (default: all)
# Versions: the nearest the proxy serves to what we deploy (docs/local-cluster.md, "The local engine").
# A fitting etcd, Kubernetes command or Pulumi CLI already on PATH is used instead of built (host_tool below).
set -euo pipefail
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=mod"
CACHE=${CVM_TOOLCHAIN_CACHE:-$HOME/.cache/cvm-toolchain}
WORK=${CVM_TOOLCHAIN_WORK:-$CACHE/_work}
GO=${GO:-go}

ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
K8S_VERSION=${K8S_VERSION:-v1.35.4}
PULUMI_VERSION=${PULUMI_VERSION:-v3.274.0}
# provider/v4 has no tags; the proxy serves only this pseudo-version (= tag v4.25.0)
K8S_PROVIDER_PSEUDO=${K8S_PROVIDER_PSEUDO:-v4.0.0-20260115033456-f47bc2d6f199}
K8S_PROVIDER_VERSION=${K8S_PROVIDER_VERSION:-4.25.0}
# The node's runtime: containerd 2.2 (the newest 2.x line the proxy serves; >= 2.0.5 is what Sysbox 0.7 wants)
# and runc 1.3 (the first line whose `runc features` reports idmapped mounts, which `hostUsers: false` needs;
# Debian's 1.1.5 does not: the kubelet then refuses hostUsers: false; measured here, docs/local-cluster.md).
CONTAINERD_VERSION=${CONTAINERD_VERSION:-v2.2.9}
RUNC_VERSION=${RUNC_VERSION:-v1.3.7}
# The node's NetworkPolicy dataplane: kube-router's firewall (iptables + ipset) beside the node's bridge CNI.
# v2.1.0 is the only version the proxy serves of github.com/cloudnativelabs/kube-router/v2; its reported security
# flaws concern a cluster component, not this test dataplane bound to one machine (docs/local-cluster.md).
KUBE_ROUTER_VERSION=${KUBE_ROUTER_VERSION:-v2.1.0}
# gVisor's runsc and its containerd shim (issue 30): gvisor.dev/gvisor has no tags; the proxy serves the `go`
# branch (generated from master for `go build`), newest here at this pseudo-version (`go list -m gvisor.dev/gvisor@latest`)
GVISOR_VERSION=${GVISOR_VERSION:-v0.0.0-20260905035102-160fafc42237}

log() { echo "[toolchain] $*" >&2; }
# the provider build's steps in Python (localcluster/provider_source.py), with the machine's python3: `make engine`
# needs no venv
ROOT=$(cd "$(dirname "$0")/.." && pwd)
provider_source() { PYTHONPATH="$ROOT" python3 -m localcluster.provider_source "$@"; }
# what was found (cached, or on PATH) is said once per `make up`: its driver asks again, with CVM_TOOLCHAIN_TOLD
# set by the Makefile (issue 25); a build, and why a tool on PATH is not used, are always said
found() { [[ -n ${CVM_TOOLCHAIN_TOLD:-} ]] || log "$@"; }

# --- what the machine already has (a first run builds only what is missing) ------------------------------
# A tool on PATH is used instead of a build when its version says it fits (never its name alone): etcd and the
# Kubernetes commands of the pinned minor, a Pulumi CLI of major 3 no older than the Python SDK
# (requirements/core.txt) with its Python language host beside it or on PATH. The built cache, when there, wins
# (its versions are the pinned ones). Each choice is logged with its reason.
PULUMI_SDK_VERSION=${PULUMI_SDK_VERSION:-$(sed -n 's/^pulumi==//p' "$ROOT/requirements/core.txt")}

# version_of CMD...: the first x.y.z the command prints (`etcd --version`, `kubectl version --client`, ...)
version_of() { { "$@" 2>/dev/null || true; } | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n 1 || true; }
minor_of() { local v=${1#v}; echo "${v%.*}"; }

# host_tool NAME WANT VERSION_ARGS...: NAME's path on PATH when it reports WANT's minor; else empty, and says why
host_tool() {
  local name=$1 want=$2 path found; shift 2
  path=$(command -v "$name") || return 0
  found=$(version_of "$path" "$@")
  if [[ -n $found && $(minor_of "$found") == "$(minor_of "$want")" ]]; then echo "$path"
  else log "$name on PATH ($path) reports '${found:-no version}', not the pinned minor $(minor_of "$want"): not used"; fi
}

# host_pulumi: a Pulumi CLI on PATH of major 3, no older than the SDK, with `pulumi-language-python`
host_pulumi() {
  local path found older
  path=$(command -v pulumi) || return 0
  found=$(version_of "$path" version)
  older=$(printf '%s\n%s\n' "$found" "$PULUMI_SDK_VERSION" | sort -V | head -n 1)
  if [[ ${found%%.*} != 3 || ($older == "$found" && $found != "$PULUMI_SDK_VERSION") ]]; then
    log "pulumi on PATH ($path) reports '${found:-no version}', not 3.x at least the SDK's $PULUMI_SDK_VERSION: not used"
  elif [[ ! -x $(dirname "$path")/pulumi-language-python ]] && ! command -v pulumi-language-python >/dev/null; then
    log "pulumi on PATH ($path, $found) has no Python language host (pulumi-language-python): not used"
  else echo "$path"; fi
}

# new_wrapper DIR MODNAME : fresh wrapper module dir
new_wrapper() {
  rm -rf "$1"; mkdir -p "$1"
  (cd "$1" && $GO mod init "$2" >/dev/null 2>&1)
}

build_etcd() {
  local out="$CACHE/etcd-$ETCD_VERSION" host
  [[ -x $out/etcd ]] && { found "etcd $ETCD_VERSION: cached ($out)"; return; }
  host=$(host_tool etcd "$ETCD_VERSION" --version)
  [[ -n $host ]] && { found "etcd: $host ($(version_of "$host" --version), the pinned minor): used, not built"; return; }
  local w="$WORK/etcd-$ETCD_VERSION"; new_wrapper "$w" cvmtc/etcd
  # the server alone: nothing here runs etcdctl
  ( cd "$w"
    $GO get go.etcd.io/etcd/server/v3@"$ETCD_VERSION"
    $GO build -trimpath -ldflags "-s -w" -o bin/etcd go.etcd.io/etcd/server/v3 )
  mkdir -p "$out.tmp" && mv "$w"/bin/* "$out.tmp"/ && rm -rf "$out" && mv "$out.tmp" "$out"
  built "etcd $ETCD_VERSION: built -> $out"
}

# build_kube [CMD...]: the Kubernetes commands (default: the control plane's), each cached on its own
build_kube() {
  local out="$CACHE/kubernetes-$K8S_VERSION" cmds=("$@") missing=() c
  [[ ${#cmds[@]} -gt 0 ]] || cmds=(kube-apiserver kube-controller-manager)
  link_host_kube "$out" "${cmds[@]}"
  for c in "${cmds[@]}"; do [[ -x $out/$c ]] || missing+=("$c"); done
  [[ ${#missing[@]} -eq 0 ]] && { found "kubernetes $K8S_VERSION (${cmds[*]}): cached ($out)"; return; }
  local w="$WORK/kubernetes-$K8S_VERSION"; new_wrapper "$w" cvmtc/kubernetes
  local v=${K8S_VERSION#v} major minor
  major=${v%%.*}; minor=${v#*.}; minor=${minor%%.*}
  ( cd "$w"
    # k8s.io/kubernetes requires its ~31 staging modules at v0.0.0 with replace => ./staging/...;
    # replaces of a dependency are ignored, so repeat them, pointing at the published v0.<minor>.<patch>.
    local modfile; modfile=$($GO mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    local args=() m
    for m in $(awk '$2=="=>" && $3 ~ /^\.\/staging\/src\// {print $1}' "$modfile"); do
      args+=("-replace=$m=$m@v0.${v#*.}")
    done
    [[ ${#args[@]} -ge 25 ]] || { echo "found only ${#args[@]} staging replaces in $modfile" >&2; exit 1; }
    $GO mod edit "${args[@]}"
    # upstream's godebug line (ignored when it comes from a dependency)
    local gd; gd=$(awk '$1=="godebug" && $2 ~ /=/ {print $2}' "$modfile")
    [[ -n $gd ]] && $GO mod edit -godebug="$gd"
    local pkgs=(); for c in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c@$K8S_VERSION"); done
    $GO get "${pkgs[@]}"
    local date; date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    local ld="-s -w" pkgv
    # MANDATORY: without these the server reports v0.0.0 and pulumi-kubernetes refuses it
    for pkgv in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ld+=" -X $pkgv.gitMajor=$major -X $pkgv.gitMinor=$minor -X $pkgv.gitVersion=$K8S_VERSION"
      ld+=" -X $pkgv.gitCommit=0000000000000000000000000000000000000000 -X $pkgv.gitTreeState=clean -X $pkgv.buildDate=$date"
    done
    # one build for all of them: their shared packages are loaded and compiled once, the links overlap
    $GO build -trimpath -ldflags "$ld" -o bin/ "${pkgs[@]%@*}" )
  # the folder gains commands one build at a time; each lands whole (write, then rename)
  mkdir -p "$out"
  for c in "${missing[@]}"; do mv "$w/bin/$c" "$out/.$c.tmp" && mv "$out/.$c.tmp" "$out/$c"; done
  built "kubernetes $K8S_VERSION (${missing[*]}): built -> $out"
}

# link_host_kube DIR CMD...: each Kubernetes command the cache lacks that PATH has, of the pinned minor, linked
# into DIR (the folder the scripts read); a link whose command no longer fits goes, to be built
link_host_kube() {
  local out=$1 c host args; shift
  mkdir -p "$out"
  for c in "$@"; do
    args=(--version); [[ $c == kubectl ]] && args=(version --client)
    if [[ -L $out/$c ]]; then
      [[ -n $(host_tool "$(readlink "$out/$c")" "$K8S_VERSION" "${args[@]}") ]] && continue
      rm -f "$out/$c"
    fi
    [[ -e $out/$c ]] && continue
    host=$(host_tool "$c" "$K8S_VERSION" "${args[@]}")
    [[ -z $host ]] && continue
    ln -s "$host" "$out/$c"
    found "$c: $host ($(version_of "$host" "${args[@]}"), the pinned minor): used, not built"
  done
  return 0
}

build_containerd() {
  local out="$CACHE/containerd-$CONTAINERD_VERSION"
  [[ -x $out/containerd && -x $out/containerd-shim-runc-v2 && -x $out/ctr ]] && { found "containerd $CONTAINERD_VERSION: cached ($out)"; return; }
  local w="$WORK/containerd-$CONTAINERD_VERSION"; new_wrapper "$w" cvmtc/containerd
  local M=github.com/containerd/containerd/v2
  ( cd "$w"
    $GO get "$M@$CONTAINERD_VERSION"
    # static, without cgo: the btrfs snapshotter (cgo only) is left out; overlayfs is what the node uses
    local ld="-s -w -X $M/version.Version=$CONTAINERD_VERSION -X $M/version.Package=$M" c
    for c in containerd containerd-shim-runc-v2 ctr; do
      $GO build -trimpath -tags no_btrfs -ldflags "$ld" -o "bin/$c" "$M/cmd/$c"
    done )
  mkdir -p "$out.tmp" && mv "$w"/bin/* "$out.tmp"/ && rm -rf "$out" && mv "$out.tmp" "$out"
  built "containerd $CONTAINERD_VERSION: built -> $out"
}

build_runc() {
  local out="$CACHE/runc-$RUNC_VERSION"
  [[ -x $out/runc ]] && { found "runc $RUNC_VERSION: cached ($out)"; return; }
  command -v pkg-config >/dev/null && pkg-config --exists libseccomp ||
    { echo "runc needs libseccomp-dev and pkg-config (apt-get install libseccomp-dev pkg-config)" >&2; exit 1; }
  local w="$WORK/runc-$RUNC_VERSION"; new_wrapper "$w" cvmtc/runc
  ( cd "$w"
    $GO get "github.com/opencontainers/runc@$RUNC_VERSION"
    # cgo for seccomp (libseccomp) and runc's nsenter; a runc without seccomp would run pods unconfined
    CGO_ENABLED=1 $GO build -trimpath -tags "seccomp urfave_cli_no_docs" \
      -ldflags "-s -w -X main.version=${RUNC_VERSION#v}" -o bin/runc github.com/opencontainers/runc )
  mkdir -p "$out.tmp" && mv "$w"/bin/* "$out.tmp"/ && rm -rf "$out" && mv "$out.tmp" "$out"
  built "runc $RUNC_VERSION: built -> $out"
}

build_gvisor() {
  local out="$CACHE/gvisor-$GVISOR_VERSION"
  [[ -x $out/runsc && -x $out/containerd-shim-runsc-v1 ]] && { found "gvisor $GVISOR_VERSION: cached ($out)"; return; }
  local w="$WORK/gvisor-$GVISOR_VERSION"; new_wrapper "$w" cvmtc/gvisor
  local M=gvisor.dev/gvisor
  ( cd "$w"
    # both packages: the shim's containerd modules are not in runsc's go.sum (a `go get` of runsc alone misses them)
    $GO get "$M/runsc@$GVISOR_VERSION" "$M/shim@$GVISOR_VERSION"
    # static, without cgo, as upstream's `pure = True` go_binary; the version as its x_defs set it (runsc/BUILD,
    # runsc/version.version = STABLE_VERSION, google/gvisor@3c5eee17dc45): here the pseudo-version, no git to describe
    mkdir -p bin
    $GO build -trimpath -ldflags "-s -w -X $M/runsc/version.version=$GVISOR_VERSION" -o bin/ "$M/runsc" "$M/shim"
    mv bin/shim bin/containerd-shim-runsc-v1 )
  mkdir -p "$out.tmp" && mv "$w"/bin/* "$out.tmp"/ && rm -rf "$out" && mv "$out.tmp" "$out"
  built "gvisor $GVISOR_VERSION (runsc, containerd-shim-runsc-v1): built -> $out"
}

build_kube_router() {
  local out="$CACHE/kube-router-$KUBE_ROUTER_VERSION"
  [[ -x $out/kube-router ]] && { found "kube-router $KUBE_ROUTER_VERSION: cached ($out)"; return; }
  local w="$WORK/kube-router-$KUBE_ROUTER_VERSION"; new_wrapper "$w" cvmtc/kube-router
  local M=github.com/cloudnativelabs/kube-router/v2
  ( cd "$w"
    $GO get "$M@$KUBE_ROUTER_VERSION"
    # static, without cgo (upstream's Makefile builds it so too); the version as upstream's ldflags set it
    $GO build -trimpath -ldflags "-s -w -X $M/pkg/version.Version=$KUBE_ROUTER_VERSION -X $M/pkg/version.BuildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
      -o bin/kube-router "$M/cmd/kube-router" )
  mkdir -p "$out.tmp" && mv "$w"/bin/* "$out.tmp"/ && rm -rf "$out" && mv "$out.tmp" "$out"
  built "kube-router $KUBE_ROUTER_VERSION: built -> $out"
}

build_provider() {
  local name="pulumi-resource-kubernetes-$K8S_PROVIDER_VERSION"
  local out="$CACHE/$name"
  [[ -x $out/pulumi-resource-kubernetes ]] && { found "$name: cached ($out)"; return; }
  local w="$WORK/$name"; new_wrapper "$w" cvmtc/provider
  local M=github.com/pulumi/pulumi-kubernetes/provider/v4
  ( cd "$w"
    # The module zip lacks the gitignored, generated schema-embed.json / terraform-mapping-embed.json:
    # copy the module, generate them (same as cmd/pulumi-resource-kubernetes/generate.go), replace => copy.
    local dir; dir=$($GO mod download -json "$M@$K8S_PROVIDER_PSEUDO" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
    cp -r "$dir" provider-src && chmod -R u+w provider-src
    ( cd provider-src/cmd/pulumi-resource-kubernetes && provider_source embed "$K8S_PROVIDER_VERSION" )
    # provider's own go.mod asks for sdk/v4 (replaced => ../sdk upstream) at a version the proxy may not serve:
    # pin it to the nearest served version (the provider only uses sdk/v4/.../utilities).
    local want; want=$(awk '$1=="github.com/pulumi/pulumi-kubernetes/sdk/v4" && $2 ~ /^v/ {print $2; exit}' provider-src/go.mod)
    local sdkv=${K8S_SDK_GO_VERSION:-}
    if [[ -z $sdkv ]]; then
      if $GO list -m "github.com/pulumi/pulumi-kubernetes/sdk/v4@$want" >/dev/null 2>&1; then sdkv=$want
      else sdkv=$($GO list -m -versions github.com/pulumi/pulumi-kubernetes/sdk/v4 | tr ' ' '\n' | grep '^v' |
                  sort -V | provider_source nearest "$want"); fi
    fi
    log "provider: sdk/v4 wanted $want, using $sdkv"
    $GO mod edit -require="$M@$K8S_PROVIDER_PSEUDO" -replace="$M=./provider-src" \
      -replace="github.com/pulumi/pulumi-kubernetes/sdk/v4=github.com/pulumi/pulumi-kubernetes/sdk/v4@$sdkv"
    $GO get "$M/cmd/pulumi-resource-kubernetes"
    $GO build -trimpath -ldflags "-s -w -X $M/pkg/version.Version=$K8S_PROVIDER_VERSION" \
      -o bin/pulumi-resource-kubernetes "$M/cmd/pulumi-resource-kubernetes" )
  mkdir -p "$out.tmp" && mv "$w"/bin/* "$out.tmp"/ && rm -rf "$out" && mv "$out.tmp" "$out"
  built "$name: built -> $out"
}

build_pulumi() {
  local out="$CACHE/pulumi-$PULUMI_VERSION" host
  [[ -x $out/pulumi ]] && { found "pulumi $PULUMI_VERSION: cached ($out)"; return; }
  host=$(host_pulumi)
  [[ -n $host ]] && { found "pulumi: $host ($(version_of "$host" version), with its Python language host): used, not built"; return; }
  local w="$WORK/pulumi-$PULUMI_VERSION"; new_wrapper "$w" cvmtc/pulumi
  ( cd "$w"
    # repeat pkg/go.mod's non-local replaces (clipboard fork)
    local modfile; modfile=$($GO mod download -json "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    local r
    while read -r r; do [[ -n $r ]] && $GO mod edit -replace="$r"; done < <(
      awk '/^replace \(/{b=1;next} b&&/^\)/{b=0} {l=$0; sub(/^replace /,"",l)} (b||/^replace /) && l ~ /=>/ {print l}' "$modfile" |
      awk '$3 !~ /^\./ {if (NF==4) print $1"="$3"@"$4; else if (NF==5) print $1"@"$2"="$4"@"$5}')
    $GO get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$PULUMI_VERSION"
    $GO build -trimpath -tags osusergo,grpcnotrace \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
      -o bin/pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi )
  mkdir -p "$out.tmp" && mv "$w"/bin/* "$out.tmp"/ && rm -rf "$out" && mv "$out.tmp" "$out"
  built "pulumi $PULUMI_VERSION: built -> $out"
}

# actionlint checks the GitHub workflows in the test suite.
ACTIONLINT_VERSION=${ACTIONLINT_VERSION:-v1.7.12}
build_actionlint() {
  local out="$CACHE/actionlint-$ACTIONLINT_VERSION"
  [[ -x $out/actionlint ]] && { found "actionlint $ACTIONLINT_VERSION: cached ($out)"; return; }
  mkdir -p "$out.tmp"
  GOBIN="$out.tmp" $GO install -trimpath -ldflags "-s -w" "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
  rm -rf "$out" && mv "$out.tmp" "$out"
  built "actionlint $ACTIONLINT_VERSION: built -> $out"
}

# The node's storage provisioner (docs/local-cluster.md, "Storage"): github.com/rancher/local-path-provisioner,
# a main package at its module's root; v0.0.30 is the only version the Go module proxy serves (`go list -m
# -versions`). Its go.mod has no replace, so a plain `go build` of the module works.
LOCAL_PATH_VERSION=${LOCAL_PATH_VERSION:-v0.0.30}
build_local_path() {
  local out="$CACHE/local-path-provisioner-$LOCAL_PATH_VERSION"
  [[ -x $out/local-path-provisioner ]] && { found "local-path-provisioner $LOCAL_PATH_VERSION: cached ($out)"; return; }
  local w="$WORK/local-path-provisioner-$LOCAL_PATH_VERSION"; new_wrapper "$w" cvmtc/local-path
  local M=github.com/rancher/local-path-provisioner
  ( cd "$w"
    $GO get "$M@$LOCAL_PATH_VERSION"
    # upstream's Makefile sets main.VERSION the same way (scripts/build)
    $GO build -trimpath -ldflags "-s -w -X main.VERSION=${LOCAL_PATH_VERSION#v}" -o bin/local-path-provisioner "$M" )
  mkdir -p "$out.tmp" && mv "$w"/bin/* "$out.tmp"/ && rm -rf "$out" && mv "$out.tmp" "$out"
  built "local-path-provisioner $LOCAL_PATH_VERSION: built -> $out"
}

build_node_kube() { build_kube kubelet kube-scheduler kubectl; }

# chosen BUILT HOST: the built binary when cached, else the fitting one on PATH, else where the build puts it
chosen() { if [[ -x $1 || -z $2 ]]; then echo "$1"; else echo "$2"; fi; }

# built WORDS: say what a step built, and count it: only a step that built says how long it took (a cached or found
# step says nothing of time, even when a loaded machine's clock ticks over a second while it looks)
BUILT=0
built() { BUILT=$((BUILT + 1)); log "$@"; }

# timed NAME FUNCTION: run a build step and say how long it took, when it built
timed() {
  local start=$SECONDS before=$BUILT
  "$2"
  if ((BUILT > before)); then log "$1: $((SECONDS - start)) s"; fi
}

main() {
  local what=("$@"); [[ ${#what[@]} -eq 0 ]] && what=(all)
  local start=$SECONDS
  for t in "${what[@]}"; do
    case $t in
      etcd) timed etcd build_etcd ;;
      kube) timed kube-apiserver+kube-controller-manager build_kube ;;
      provider) timed pulumi-resource-kubernetes build_provider ;;
      pulumi) timed pulumi build_pulumi ;;
      actionlint) timed actionlint build_actionlint ;;
      kubelet) timed kubelet+kube-scheduler+kubectl build_node_kube ;;
      containerd) timed containerd build_containerd ;;
      runc) timed runc build_runc ;;
      local-path) timed local-path-provisioner build_local_path ;;
      kube-router) timed kube-router build_kube_router ;;
      gvisor) timed runsc+containerd-shim-runsc-v1 build_gvisor ;;
      node) main kubelet containerd runc kube-router local-path; return ;;
      all) main etcd kube provider pulumi actionlint; return ;;
      # where the binaries are, for the scripts that use them
      # (the build steps said why a tool on PATH was not used; `paths` does not say it again)
      paths) echo "ETCD=$(chosen "$CACHE/etcd-$ETCD_VERSION/etcd" "$(host_tool etcd "$ETCD_VERSION" --version 2>/dev/null)")"
             echo "KUBE_BIN=$CACHE/kubernetes-$K8S_VERSION"
             local pulumi; pulumi=$(chosen "$CACHE/pulumi-$PULUMI_VERSION/pulumi" "$(host_pulumi 2>/dev/null)")
             echo "PULUMI_BIN=$(dirname "$pulumi")"
             echo "K8S_PROVIDER=$CACHE/pulumi-resource-kubernetes-$K8S_PROVIDER_VERSION/pulumi-resource-kubernetes"
             echo "ACTIONLINT=$CACHE/actionlint-$ACTIONLINT_VERSION/actionlint"
             echo "CONTAINERD_BIN=$CACHE/containerd-$CONTAINERD_VERSION"
             echo "RUNC=$CACHE/runc-$RUNC_VERSION/runc"
             echo "LOCAL_PATH=$CACHE/local-path-provisioner-$LOCAL_PATH_VERSION/local-path-provisioner"
             echo "KUBE_ROUTER=$CACHE/kube-router-$KUBE_ROUTER_VERSION/kube-router" ;;
      *) echo "unknown target $t" >&2; exit 2 ;;
    esac
  done
  if [[ " ${what[*]} " != *" paths "* ]] && ((BUILT > 0)); then log "total: $((SECONDS - start)) s (cache: $CACHE)"; fi
}
# One build at a time: two runs building the same target would share its work folder (`make engine` and a
# test that needs the engine, started together, did). `paths` only reads, so it takes no lock.
if [[ " $* " != " paths " ]] && command -v flock >/dev/null; then
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.lock"
  flock 9
fi
main "$@"; exit $?
