#!/usr/bin/env bash
# Using fake-zedrouter in CI (README "Using fake-zedrouter in CI"), as a script a CI job can
# run and the test suite does run (tests/e2e/ci_recipe_test.ts), so the recipe cannot rot.
#
#   1. start fake-zedrouter in a throwaway "node" namespace, with a ready file and a journal
#   2. wait until it answers
#   3. run the CNI plugin under test through libcni (cnidrive): ADD, CHECK, DEL
#   4. assert on the journal: EVE's four calls, the address ConnectPodAtL3 got
#   5. inject a fault (ConnectPodAtL3 fails once): the plugin's CNI error and code, and that
#      it left nothing behind (pod interface, host veth, lease, DHCP client, state files)
#   6. stop it: SIGTERM, exit 0, no socket, no ready file, no bridge (--teardown)
#
# Needs root, iproute2, dnsmasq, udhcpc, the built programs (deno task build) and cnidrive.
# Everything lives in namespaces named evetest-ci-* and a temp dir, removed on exit.
# Override with FAKE_ZEDROUTER, PLUGIN_DIR (where eve-bridge is), CNIDRIVE, CNI_BIN.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
zr=${FAKE_ZEDROUTER:-$root/dist/bin/fake-zedrouter}
plugin_dir=${PLUGIN_DIR:-$root/dist/bin}
cnidrive=${CNIDRIVE:-$root/.tools/cnidrive}
cni_bin=${CNI_BIN:-/usr/lib/cni}

say() { printf '==> %s\n' "$*"; }
die() {
  printf 'ci recipe: FAILED: %s\n' "$*" >&2
  exit 1
}

work=$(mktemp -d /tmp/evetest-ci-XXXXXX)
id=${work##*/evetest-ci-}
node=evetest-ci-$id-node
pod=evetest-ci-$id-pod
sock=$work/zr/rpc.sock
zr_pid=

# Stops by pid what a pid file names, if the process still is one of ours (its command line
# names our work dir): a recycled pid is never signalled.
stop_pid_file() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 0
  if [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$work"; then
    kill "$pid" 2>/dev/null || true
  fi
}
cleanup() {
  if [ -n "$zr_pid" ] && kill -0 "$zr_pid" 2>/dev/null; then
    kill -TERM "$zr_pid" 2>/dev/null || true
    wait "$zr_pid" 2>/dev/null || true
  fi
  for f in "$work"/eve-bridge/*/*.pid "$work"/zr/state/dnsmasq-*.pid; do
    [ -e "$f" ] && stop_pid_file "$f"
  done
  ip netns del "$pod" 2>/dev/null || true
  ip netns del "$node" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

for tool in "$zr" "$plugin_dir/eve-bridge" "$cnidrive"; do
  [ -x "$tool" ] || die "$tool is missing (deno task build; cnidrive: set CNIDRIVE)"
done

# The stand-in's world: one local network instance and one app with its adapter's MAC and
# reserved address; the plugin's NetworkAttachmentDefinition config points at the socket.
app_uuid=1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d
mac=02:16:3e:80:01:01
pod_name=nginx-1a2b3-ci7k2 # EVE's rule: <kubeName>-<5>, kubeName = nginx-<uuid[0:5]>
mkdir -p "$work/zr"
cat >"$work/zedrouter.yaml" <<EOF
networkInstances:
  - { name: ni-ci, type: local, bridge: bnci, subnet: 10.80.1.0/24, defaultRoute: true }
apps:
  - name: nginx
    uuid: $app_uuid
    adapters:
      - { networkInstance: ni-ci, mac: "$mac", ip: 10.80.1.50 }
EOF
cat >"$work/ni-ci.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "ni-ci",
  "plugins": [
    {
      "type": "eve-bridge",
      "zedrouterSocket": "$sock",
      "stateDir": "$work/eve-bridge",
      "logFile": "$work/eve-bridge.log"
    }
  ]
}
EOF
ip netns add "$node"
ip netns add "$pod"

say "1. start fake-zedrouter in the node's namespace"
ip netns exec "$node" "$zr" serve --config "$work/zedrouter.yaml" --socket "$sock" \
  --state-dir "$work/zr/state" --ready-file "$work/zr/ready.json" \
  --journal "$work/zr/journal.jsonl" --teardown --quiet &
zr_pid=$!

say "2. wait until it answers"
"$zr" wait --socket "$sock" --timeout 30
grep -q "\"pid\":$zr_pid" "$work/zr/ready.json" || die "the ready file names another pid"

cni() { # cni OP CONTAINER_ID: one libcni invocation, as Multus runs a NAD's plugins
  ip netns exec "$node" "$cnidrive" -op "$1" -conf "$work/ni-ci.conflist" \
    -netns "/var/run/netns/$pod" -if net1 -id "$2" \
    -args "IgnoreUnknown=1;K8S_POD_NAMESPACE=eve-kube-app;K8S_POD_NAME=$pod_name;MAC=$mac" \
    -path "$plugin_dir:$cni_bin" -cache "$work/cni-cache"
}

say "3. ADD, CHECK, DEL through libcni"
cni add cid-1 >"$work/add.json"
grep -q '"address":"10.80.1.50/24"' "$work/add.json" || die "ADD did not give 10.80.1.50/24"
cni check cid-1 >/dev/null
cni del cid-1 >/dev/null

say "4. assert on the journal"
"$zr" journal --socket "$sock"
methods=$("$zr" journal --socket "$sock" --json | grep -o '"method":"[^"]*"' | tr '\n' ' ')
want='"method":"RPCServer.ConnectPodAtL2" "method":"RPCServer.ConnectPodAtL3" '
want+='"method":"RPCServer.CheckPodConnection" "method":"RPCServer.DisconnectPod" '
[ "$methods" = "$want" ] || die "journal methods: $methods"
"$zr" journal --socket "$sock" --method ConnectPodAtL3 --pod 'nginx-*' --json |
  grep -q '"ips":\[{"address":"10.80.1.50/24","gateway":"10.80.1.1"}\]' ||
  die "ConnectPodAtL3 did not get 10.80.1.50/24"

say "5. inject a fault: ConnectPodAtL3 fails once"
error="failed to find adapter with pod interface net1 for app $app_uuid"
"$zr" fault add --socket "$sock" --method ConnectPodAtL3 --pod 'nginx-*' --fail "$error" --once
if cni add cid-2 >/dev/null 2>"$work/add2.err"; then die "ADD succeeded despite the fault"; fi
grep -qF "zedrouter refused ConnectPodAtL3: $error" "$work/add2.err" || die "$(cat "$work/add2.err")"
# libcni passes on the plugin's message; its code is in the plugin's log (103: zedrouter refused).
grep '"outcome":"error"' "$work/eve-bridge.log" | tail -n1 | grep -q '"code":103' ||
  die "the plugin's log has no code 103"
"$zr" journal --socket "$sock" --method ConnectPodAtL3 --json | tail -n1 |
  grep -q '"outcome":"error".*"kind":"fail"' || die "the journal does not mark the fault"
# Nothing left: no pod interface, no host veth, no lease, no DHCP client, no state file.
[ "$(ip -n "$pod" -o link show | grep -vc ': lo:')" = 0 ] || die "the pod still has interfaces"
[ -z "$(ip -n "$node" -o link show type veth)" ] || die "a host veth is left"
[ ! -s "$work/zr/state/dnsmasq-ni-ci.leases" ] || die "a lease is left"
[ -z "$(find "$work/eve-bridge" -name '*.json' -o -name '*.pid')" ] || die "state files are left"
for cmdline in /proc/[0-9]*/cmdline; do
  if tr '\0' ' ' <"$cmdline" 2>/dev/null | grep -q "^[^ ]*udhcpc .*$work"; then die "udhcpc is left"; fi
done

say "6. stop: SIGTERM"
kill -TERM "$zr_pid"
status=0
wait "$zr_pid" || status=$?
zr_pid=
[ "$status" = 0 ] || die "fake-zedrouter exited $status"
[ ! -e "$sock" ] && [ ! -e "$work/zr/ready.json" ] || die "the socket or the ready file is left"
if ip -n "$node" link show bnci >/dev/null 2>&1; then die "the NI bridge is left"; fi
echo "ci recipe: ok"
