import { Browser, expect, Page, test as base } from "@playwright/test";
import { readFileSync } from "node:fs";
import { RunningServer, startServer } from "./server";

// Every spec's `test`. Pages a test opens with `browser.newPage()` (one context each) are
// closed when it ends: Playwright leaves them open, and each would go on running its app, and
// retrying its live connection to a server long stopped, for the rest of the suite. Contexts
// opened before the test (in a `beforeAll`) are the spec's to close.
export const test = base.extend<{ closePagesAfter: void }>({
  closePagesAfter: [
    async ({ browser }, use) => {
      const openBefore = new Set(browser.contexts());
      await use();
      const openedByTest = browser.contexts().filter((context) => !openBefore.has(context));
      await Promise.all(openedByTest.map((context) => context.close()));
    },
    { auto: true },
  ],
});

export const ADMIN = { name: "Ana Admin", email: "ana@example.org", password: "correct horse battery staple" };

// Waits until the page is hydrated, so clicks go through the app, not a plain form post.
export async function ready(page: Page) {
  await expect(page.locator("body[data-hydrated]")).toBeAttached();
}

// The panics of the page's code logged from now on, as they come. A page that fails to hydrate
// still shows, but its forms and live parts do not work, so a test expects this to stay empty.
export function panicsOf(page: Page): string[] {
  const panics: string[] = [];
  page.on("console", (message) => {
    if (message.text().includes("panicked")) panics.push(message.text());
  });
  return panics;
}

// Uses the first-run link to create the administrator, in a page of its own.
export async function createFirstAdmin(browser: Browser, server: RunningServer) {
  const page = await browser.newPage();
  await page.goto(server.setupUrl);
  await ready(page);
  await page.getByLabel("Organisation name").fill("Riverside Tenants");
  await page.getByLabel("Your name").fill(ADMIN.name);
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password (at least 12 characters)").fill(ADMIN.password);
  await page.getByLabel("Repeat the password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Create administrator" }).click();
  await expect(page).toHaveURL(/\/admin$/);
  await page.close();
}

// Opens `path` (an admin page), signs in on the way (as the first admin, unless told whose
// email and password), and waits for the page.
export async function signIn(page: Page, server: RunningServer, path: string, who = ADMIN) {
  await page.goto(`${server.baseURL}${path}`);
  await ready(page);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  // Back at `path` once signed in, its query too (escaped: `?` is special in a pattern).
  await expect(page).toHaveURL(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`));
  // The router moves to the page in place: the URL changes before the page is shown (its
  // title, landmarks and heading come once its data has loaded), and the body stays marked
  // hydrated throughout. So wait for the admin shell itself.
  await page.waitForLoadState("load");
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  await ready(page);
}

// Points the server's email at a fake SMTP server on `port` (plain SMTP), from the settings page.
export async function configureSmtp(admin: Page, server: RunningServer, port: number) {
  await signIn(admin, server, "/admin/settings");
  await admin.getByLabel("SMTP host").fill("127.0.0.1");
  await admin.getByLabel("Port", { exact: true }).fill(String(port));
  await admin.getByLabel("Security").selectOption("none");
  await admin.getByLabel("Sender address").fill("office@example.org");
  await admin.getByRole("button", { name: "Save email settings" }).click();
  await expect(admin.getByTestId("save-result")).toHaveText("Saved.");
}

// A fresh server whose first administrator already exists.
export async function startWithAdmin(browser: Browser, extraEnv: Record<string, string> = {}): Promise<RunningServer> {
  const server = await startServer(extraEnv);
  await createFirstAdmin(browser, server);
  return server;
}

// How far the page is wider than the window: a page a phone has to scroll sideways.
export async function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

// Narrows the window to a phone's (360 px) and expects the page's tables to fit it whole: none
// of their columns out of sight in a box scrolled sideways, and the page no wider than the
// phone. (A wide screen's extra columns are then under each row's first cell.) Runs `check`
// at that width, then puts the window back.
export async function expectFitsPhone(page: Page, what: string, check: () => Promise<void> = async () => {}) {
  const size = page.viewportSize()!;
  await page.setViewportSize({ width: 360, height: 800 });
  const hiddenWidths = await page
    .locator("table")
    .evaluateAll((tables) => tables.map((table) => table.parentElement!.scrollWidth - table.parentElement!.clientWidth));
  expect(hiddenWidths.length, what).toBeGreaterThan(0);
  expect(Math.max(...hiddenWidths), what).toBeLessThanOrEqual(0);
  expect(await overflow(page), what).toBeLessThanOrEqual(0);
  await check();
  await page.setViewportSize(size);
}

export function tomorrow(): string {
  return new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
}

// Fills in the new-shift form on /admin/shifts for tomorrow, 09:00–12:00, and waits for it in the list.
export async function createShift(admin: Page, title: string, capacity: number, location = "Community hall") {
  await admin.getByLabel("Title", { exact: true }).fill(title);
  await admin.getByLabel("Location").fill(location);
  await admin.getByLabel("Date").fill(tomorrow());
  await admin.getByLabel("Starts").fill("09:00");
  await admin.getByLabel("Ends").fill("12:00");
  await admin.getByLabel("Capacity").fill(String(capacity));
  await admin.getByRole("button", { name: "Create shift" }).click();
  await expect(admin.getByTestId("create-result")).toHaveText(`Created “${title}”.`);
  await expect(admin.getByTestId("admin-shift").filter({ hasText: title })).toContainText(`0/${capacity}`);
}

// Signs up Volunteer n (vn@example.org) for a shift from the public list, in `page`.
export async function signUp(page: Page, server: RunningServer, title: string, n: number) {
  await page.goto(`${server.baseURL}/shifts`);
  await page.getByRole("link", { name: title }).click();
  await ready(page);
  await page.getByLabel("Your name").fill(`Volunteer ${n}`);
  await page.getByLabel("Email").fill(`v${n}@example.org`);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page.getByTestId("signup-confirmation")).toBeVisible();
}

// axe-core, injected into a page as it is shown: WCAG 2 A and AA rules (contrast, labels,
// names, landmarks…) and axe's best practices.
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

// What axe finds wrong with the page as it is now, and any id used twice, one line each.
export async function violations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE });
  return page.evaluate(async () => {
    const axe = (window as any).axe;
    const result = await axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "best-practice"] });
    const found = result.violations.map(
      (v: any) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n: any) => n.target.join(" ")).join(", ")}`,
    );
    // axe no longer checks that ids are unique; a label whose field shares its id with another
    // names the other one.
    const ids = [...document.querySelectorAll("[id]")].map((element) => element.id);
    const repeated = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
    return [...found, ...repeated.map((id) => `duplicate-id: more than one element has the id ${id}`)];
  });
}
