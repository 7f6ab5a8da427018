import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // A failing test shows the stderr of the CLI runs it started.
    setupFiles: ["tests/_support/show_cli_stderr.ts"],
    // End-to-end tests start Deno, Bun and the compiled binary as child processes; on two
    // cores more parallel files only add contention.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
