/**
 * argv[1] that selects the hook-callback mode of the eve-bridge program. Its own module, so
 * the entry point can tell that mode apart without loading the plugin (main.ts).
 */
export const DHCP_EVENT_COMMAND = "dhcp-event";
