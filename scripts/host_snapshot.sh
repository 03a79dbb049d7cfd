#!/usr/bin/env bash
# Prints what the tests must never change in the machine's own network namespace: its links,
# addresses, routes, rules and the forwarding sysctls. scripts/test.sh compares a snapshot
# taken before the tests with one taken after and fails the run on any difference.
set -u
ip -o link show | sed -E 's/ qlen [0-9]+//' | awk '{print $2, $3}'
ip -o addr show | awk '{print $2, $3, $4}'
ip route show table all
ip rule show
for key in net.ipv4.ip_forward net.ipv6.conf.all.forwarding; do
  echo "$key=$(sysctl -n "$key" 2>/dev/null)"
done
