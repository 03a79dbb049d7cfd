/**
 * Error codes of the pod-interface flow (the zedrouter path), continuing eve-bridge's own
 * range of plugin/cni/errors.ts (`EveErrorCode`, 100-105; a repeated ADD uses its 105):
 * - 106: no DHCP lease (server silent, udhcpc died, timeout);
 * - 107: CHECK found the attachment differs from what ADD set up.
 */
export const PodErrorCode = {
  DhcpFailed: 106,
  CheckFailed: 107,
} as const;
