import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // A failing test shows the stderr of the CLI runs it started; every test first yields the
    // worker's event loop a turn (long synchronous WASM work must not starve vitest's messages).
    setupFiles: ["tests/_support/show_cli_stderr.ts", "tests/_support/yield_between_tests.ts"],
    // End-to-end tests start Deno, Bun and the compiled binary as child processes; on two
    // cores more parallel files only add contention.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
