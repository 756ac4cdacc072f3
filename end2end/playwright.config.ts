import { defineConfig } from "@playwright/test";

// Drives the server binary (started by tests/server.ts on a temp data dir) in Debian's
// Chromium. Never downloads a browser.
export default defineConfig({
  testDir: "./tests",
  // Two spec files at a time: each starts its own server on a free port with its own data
  // directory, so they share nothing, and on two cores the suite takes three quarters of the
  // time. A spec's tests still run in order, one after the other.
  fullyParallel: false,
  workers: 2,
  forbidOnly: true,
  retries: 0,
  timeout: 60_000,
  // Waits end as soon as what is expected shows; the margin is for a step slowed by the other
  // worker's.
  expect: { timeout: 15_000 },
  reporter: [["list"]],
  use: {
    browserName: "chromium",
    headless: true,
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
    trace: "retain-on-failure",
  },
});
