#!/usr/bin/env bash
# Builds cnidrive (../shared/tools/cnidrive: a CNI runtime driver on libcni, as containerd,
# CRI-O and Multus invoke plugins) from Debian's packaged libcni source, the same way as the
# shared build.sh. Why our own copy of those steps: the shared script finds the source with
# `dpkg -L ... | grep -m1` under `set -o pipefail`, and grep leaving early kills dpkg with
# SIGPIPE, so it fails (exit 141) most of the time on a loaded machine. Here the list is read
# in full first.
# Usage: scripts/build_cnidrive.sh OUT_BINARY
set -euo pipefail
out=${1:?usage: build_cnidrive.sh OUT_BINARY}
root=$(cd "$(dirname "$0")/.." && pwd)
# The shared tools sit beside the project checkout; a clean clone elsewhere (mktemp -d, as the
# CI recipe in DEVELOPERS.md makes one) finds them through CNIDRIVE_SRC or the workplace's path.
main_go=""
for dir in "${CNIDRIVE_SRC:-}" "$root/../shared/tools/cnidrive" /work/shared/tools/cnidrive; do
  [ -n "$dir" ] && [ -f "$dir/main.go" ] && { main_go="$dir/main.go"; break; }
done
[ -n "$main_go" ] || {
  echo "build_cnidrive: cnidrive's main.go not found (set CNIDRIVE_SRC to its directory)" >&2; exit 1; }
need=()
command -v go >/dev/null || need+=(golang-go)
dpkg -s golang-github-appc-cni-dev >/dev/null 2>&1 || need+=(golang-github-appc-cni-dev)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
files=$(dpkg -L golang-github-appc-cni-dev)
src=$(grep -m1 '/github.com/containernetworking/cni$' <<<"$files")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$main_go" "$work/"
cat > "$work/go.mod" <<MOD
module cnidrive

go 1.19

require github.com/containernetworking/cni v1.1.2

replace github.com/containernetworking/cni => $src
MOD
(cd "$work" && GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go build -o "$out" .)
echo "built $out"
