#!/usr/bin/env bash
# Installs everything the toolkit needs on a fresh Debian machine with Node/npm, as root:
# the Debian packages it drives (iproute2, udhcpc, dnsmasq, the reference CNI plugins, Go for
# the wire-compatibility peers, a static busybox for the release test) and a pinned Deno from
# the npm registry into .tools/ (never a global one). Idempotent: a second run installs nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
DENO_VERSION=2.9.6
# A bare PATH (CI's env -i PATH=/usr/bin:/bin) hides the sbin tools, which would be installed again.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

need=()
command -v ip >/dev/null || need+=(iproute2)
command -v udhcpc >/dev/null || need+=(udhcpc)
command -v dnsmasq >/dev/null || need+=(dnsmasq-base)
# fake-zedrouter's DisconnectPod drops a lease nobody could release with its dhcp_release.
command -v dhcp_release >/dev/null || need+=(dnsmasq-utils)
command -v ping >/dev/null || need+=(iputils-ping)
command -v nsenter >/dev/null || need+=(util-linux)
command -v sysctl >/dev/null || need+=(procps)
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
command -v go >/dev/null || need+=(golang-go)
dpkg -s golang-github-appc-cni-dev >/dev/null 2>&1 || need+=(golang-github-appc-cni-dev)
# A statically linked busybox: the release test's chroot has no libc of its own (a musl node's
# stand-in). It replaces Debian's dynamic busybox at /bin/busybox; udhcpc accepts either.
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
# The launcher test proves with strace that a program file's sh part forks nothing.
command -v strace >/dev/null || need+=(strace)
# The shared store of the multi-node tests; they start their own etcd on loopback.
command -v etcd >/dev/null || need+=(etcd-server)
# The OVS-backed network instances' tests start their own ovsdb-server/ovs-vswitchd (userspace
# datapath) in a temp run directory; the package's own services stay stopped (policy-rc.d below).
command -v ovs-vswitchd >/dev/null || need+=(openvswitch-switch)
# The OVS VLAN DHCP test turns a veth's tx checksum offload off (userspace datapath, see README).
command -v ethtool >/dev/null || need+=(ethtool)
if [ ${#need[@]} -gt 0 ]; then
  echo "install: Debian packages ${need[*]}" >&2
  apt-get update -qq
  # etcd-server's and openvswitch-switch's postinsts start machine-wide services: a policy-rc.d
  # that refuses service starts (exit 101, as in Debian's containers) keeps them from running; ours goes
  # again afterwards, and one the machine already has is left alone.
  policy=/usr/sbin/policy-rc.d
  ours=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && ours=1
  fi
  rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null || rc=$?
  [ -z "$ours" ] || rm -f "$policy"
  [ "$rc" -eq 0 ] || exit "$rc"
fi

deno="$root/.tools/node_modules/.bin/deno"
if ! [ -x "$deno" ] || ! "$deno" --version 2>/dev/null | grep -q "^deno $DENO_VERSION "; then
  echo "install: deno $DENO_VERSION from the npm registry into .tools/" >&2
  mkdir -p "$root/.tools"
  [ -f "$root/.tools/package.json" ] || echo '{"private":true}' > "$root/.tools/package.json"
  (cd "$root/.tools" && npm install --silent --no-audit --no-fund "deno@$DENO_VERSION" >/dev/null)
fi
# Deno trusts only its bundled Mozilla roots by default; a machine behind a TLS-inspecting proxy
# (its CA in the system store, as here) needs the system store too, and a bare CI environment
# (env -i) drops the SSL_CERT_FILE-style variables other tools read.
export DENO_TLS_CA_STORE=${DENO_TLS_CA_STORE:-system,mozilla}
(cd "$root" && "$deno" install --quiet --frozen >/dev/null 2>&1) \
  || (cd "$root" && "$deno" install --quiet >&2)
echo "$deno"
