import { Browser, expect, Page } from "@playwright/test";
import { RunningServer, startServer } from "./server";

export const ADMIN = { name: "Ana Admin", email: "ana@example.org", password: "correct horse battery staple" };

// Waits until the page is hydrated, so clicks go through the app, not a plain form post.
export async function ready(page: Page) {
  await expect(page.locator("body[data-hydrated]")).toBeAttached();
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

// Opens `path` (an admin page), signs in on the way, and waits for the page.
export async function signIn(page: Page, server: RunningServer, path: string) {
  await page.goto(`${server.baseURL}${path}`);
  await ready(page);
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(new RegExp(`${path.replace(/\//g, "\\/")}$`));
  await ready(page);
}

// A fresh server whose first administrator already exists.
export async function startWithAdmin(browser: Browser, extraEnv: Record<string, string> = {}): Promise<RunningServer> {
  const server = await startServer(extraEnv);
  await createFirstAdmin(browser, server);
  return server;
}
