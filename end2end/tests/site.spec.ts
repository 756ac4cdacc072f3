import { expect } from "@playwright/test";
import { test } from "./helpers";
import { RunningServer, startServer } from "./server";

// The app's own files (wasm, JS, CSS) are served from inside the binary. A returning visitor's
// browser asks whether they changed and gets "not modified" instead of the app again.
test.describe.serial("site files", () => {
  let server: RunningServer;

  test.beforeAll(async () => {
    server = await startServer();
  });

  test.afterAll(async () => {
    await server.stop();
  });

  test("a returning visitor's browser checks the app's files instead of downloading them again", async ({ page, request }) => {
    await page.goto(`${server.baseURL}/shifts`);
    // The files this page loads, as it names them.
    const files = await page
      .locator("link[href^='/pkg/']")
      .evaluateAll((links) => links.map((link) => link.getAttribute("href")!));
    const wasm = files.find((href) => href.endsWith(".wasm"));
    expect(wasm, files.join(", ")).toBeTruthy();
    const css = files.find((href) => href.endsWith(".css"));
    expect(css, files.join(", ")).toBeTruthy();

    for (const [path, encoding] of [
      [wasm!, "br"],
      [css!, "gzip"],
    ]) {
      const first = await request.get(`${server.baseURL}${path}`, { headers: { "accept-encoding": encoding } });
      expect(first.status(), path).toBe(200);
      expect(first.headers()["content-encoding"], path).toBe(encoding);
      // Asked about each time, so that a new build's files are never mixed with an old one's.
      expect(first.headers()["cache-control"], path).toBe("no-cache");
      const tag = first.headers()["etag"];
      expect(tag, path).toMatch(/^"[0-9a-f]{32}"$/);
      expect((await first.body()).length, path).toBeGreaterThan(1000);

      const again = await request.get(`${server.baseURL}${path}`, {
        headers: { "accept-encoding": encoding, "if-none-match": tag },
      });
      expect(again.status(), path).toBe(304);
      expect(again.headers()["etag"], path).toBe(tag);
      expect((await again.body()).length, path).toBe(0);

      // The same file in another encoding is other bytes, with a tag of its own.
      const plain = await request.get(`${server.baseURL}${path}`, {
        headers: { "accept-encoding": "identity", "if-none-match": tag },
      });
      expect(plain.status(), path).toBe(200);
      expect(plain.headers()["content-encoding"], path).toBeUndefined();
      expect(plain.headers()["etag"], path).not.toBe(tag);
    }
  });
});
