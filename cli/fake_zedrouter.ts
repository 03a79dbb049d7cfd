/**
 * fake-zedrouter: placeholder entry point so `deno task build` can bundle all three programs; the
 * real program replaces this file.
 */
// deno-lint-ignore no-console
console.error("usage: fake-zedrouter (not built yet: this is a placeholder entry point)");
Deno.exit(2);
