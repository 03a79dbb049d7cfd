#!/usr/bin/env bash
# Runs every test (unit, root-only namespace tests, end-to-end through libcni) after the
# fmt/lint/type gates and a fresh build, and ends with the line `N passed, N failed`.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
deno=$(bash scripts/install.sh | tail -1) || exit 1
export PATH="$(dirname "$deno"):$PATH:/usr/local/sbin:/usr/sbin:/sbin"  # see ./run: a bare PATH lacks sbin
# CI may run with a bare environment: Go (the wire peers, cnidrive) and Deno need a cache home.
export HOME=${HOME:-/root}
export GOCACHE=${GOCACHE:-$root/.cache/go-build}
bash "$root/scripts/build_cnidrive.sh" "$root/.tools/cnidrive" >/dev/null 2>&1 \
  || echo "warning: cnidrive could not be built; end-to-end tests will say why they skip" >&2
export CNIDRIVE="$root/.tools/cnidrive"
"$deno" fmt --check && "$deno" lint && "$deno" task check && "$deno" task build || {
  echo "0 passed, 1 failed"; exit 1; }
export NO_COLOR=1
out=$(mktemp)
before=$(bash scripts/host_snapshot.sh)
# Namespaces that were here before the run (another checkout's test, an earlier killed run) are
# not this run's leak: only the ones the tests add count.
netns_before=$(ip netns list 2>/dev/null | awk '/^evetest/ { print $1 }' | sort)
"$deno" task test "$@" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
after=$(bash scripts/host_snapshot.sh)
if [ "$before" != "$after" ]; then
  echo "FAILED: the tests changed the machine's own network namespace:" >&2
  diff <(echo "$before") <(echo "$after") >&2
  rc=1
fi
netns_after=$(ip netns list 2>/dev/null | awk '/^evetest/ { print $1 }' | sort)
leaked=$(comm -13 <(echo "$netns_before") <(echo "$netns_after") | sed '/^$/d')
if [ -n "$leaked" ]; then
  echo "FAILED: $(wc -l <<<"$leaked") evetest-* namespaces are left behind:" >&2
  echo "$leaked" >&2
  rc=1
fi
if [ -n "$netns_before" ]; then
  echo "note: evetest-* namespaces that predate this run (not counted): $(echo $netns_before)" >&2
fi
# How many tests each top-level folder holds: every result line `./<folder>/... => name ... ok`
# (or FAILED, ignored) of a test, not of a step (a step's line is `=> test ... step ... ok`).
per_folder=$(sed -nE 's#^\./([^/ ]+)/[^ ]* => (.*) \.\.\. (ok|FAILED|ignored)( \(.*)?$#\1\t\2#p' "$out" \
  | awk -F'\t' 'index($2, " ... ") == 0 { n[$1]++ } END { for (f in n) printf "%s %d\n", f, n[f] }' \
  | sort | awk '{ printf "%s%s %d", (NR > 1 ? ", " : ""), $1, $2 } END { print "" }')
echo "tests per folder: ${per_folder}"
summary=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$out" | tail -1)
passed=$(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$summary")
failed=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$summary")
ignored=$(grep -oE '[0-9]+ ignored' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
rm -f "$out"
[ -n "$summary" ] || { echo "0 passed, 1 failed"; exit 1; }
[ "$rc" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "${passed} passed, ${failed} failed, ${ignored} skipped"
exit "$rc"
