/**
 * The built-in config: what `fake-zedrouter serve` uses without `--config`, and what
 * `fake-zedrouter default-config` prints as a starting point for your own.
 */
import { parseConfigText } from "./config.ts";
import type { Config } from "./model.ts";

export const DEFAULT_CONFIG_YAML =
  `# fake-zedrouter config: network instances (bridges) and the apps whose pods attach to them.
networkInstances:
  # A local NI: its own subnet, the gateway address on the bridge, a dnsmasq serving
  # each app adapter its reserved address (dhcp-host=<MAC>,id:*,<IP>,<hostname>).
  - name: ni-local
    type: local
    bridge: bn1
    subnet: 10.11.12.0/24
    gateway: 10.11.12.1
    dhcpRange: 10.11.12.100-10.11.12.200
    dns: [10.11.12.1]
    defaultRoute: true      # the NI has an uplink: offer a default route by DHCP
    mtu: 1500
  # A switch NI without a port: air-gapped, so pods get no DHCP (UseDHCP=false).
  - name: ni-airgap
    type: switch
    bridge: bn2
apps:
  # Pods named nginx-1a2b3-<5> (or nginx-1a2b3-<n>-<5>) belong to this app.
  - name: nginx
    uuid: 1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d
    adapters:
      - networkInstance: ni-local
        mac: 02:16:3e:00:00:01
        ip: 10.11.12.50
  # Pods ubuntu-vm-9f8e7-<5> (the demo runs one, so it can be pinged); deployed as a VM, its
  # launcher pod virt-launcher-ubuntu-vm-9f8e7-<5> stays L2-only and the guest runs DHCP.
  - name: ubuntu_vm
    uuid: 9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f
    adapters:
      - networkInstance: ni-local
      - networkInstance: ni-airgap
`;

export function defaultConfig(): Config {
  return parseConfigText(DEFAULT_CONFIG_YAML, "(built-in default)");
}
