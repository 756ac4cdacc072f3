import { expect, Page, test } from "@playwright/test";
import { RunningServer, startServer } from "./server";

const ADMIN = { email: "ana@example.org", password: "correct horse battery staple" };

async function ready(page: Page) {
  await expect(page.locator("body[data-hydrated]")).toBeAttached();
}

test.describe.serial("event bus pages", () => {
  let server: RunningServer;

  test.beforeAll(async ({ browser }) => {
    server = await startServer();
    const page = await browser.newPage();
    await page.goto(server.setupUrl);
    await ready(page);
    await page.getByLabel("Organisation name").fill("Riverside Tenants");
    await page.getByLabel("Your name").fill("Ana Admin");
    await page.getByLabel("Email").fill(ADMIN.email);
    await page.getByLabel("Password (at least 12 characters)").fill(ADMIN.password);
    await page.getByLabel("Repeat the password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Create administrator" }).click();
    await expect(page).toHaveURL(/\/admin$/);
    await page.close();
  });

  test.afterAll(async () => {
    await server.stop();
  });

  async function signIn(page: Page, path: string) {
    await page.goto(`${server.baseURL}${path}`);
    await ready(page);
    await page.getByLabel("Email").fill(ADMIN.email);
    await page.getByLabel("Password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(new RegExp(`${path.replace(/\//g, "\\/")}$`));
    await ready(page);
  }

  test("a test event shows up live, in the statistics and in the log", async ({ browser }) => {
    const live = await browser.newPage();
    await signIn(live, "/admin/events/live");
    await expect(live.getByTestId("connection")).toHaveText("Connected");

    const bus = await browser.newPage({ storageState: await live.context().storageState() });
    await bus.goto(`${server.baseURL}/admin/events/bus`);
    await ready(bus);
    await expect(bus.getByTestId("listener-event-log")).toBeVisible();
    await bus.getByRole("button", { name: "Send test event" }).click();
    await expect(bus.getByTestId("test-event-result")).toContainText("Sent system.test");

    // The live page receives it, decoded with the shared catalog.
    const event = live.getByTestId("live-event").filter({ hasText: "system.test" });
    await expect(event).toBeVisible();
    await expect(event).toContainText("System");
    await expect(live.getByTestId("topic-counts")).toContainText("system.test: 1");

    // Paused: new events wait; resumed: they appear.
    await live.getByTestId("pause").click();
    await bus.getByRole("button", { name: "Send test event" }).click();
    await expect(live.getByTestId("pause")).toHaveText("Resume (1 waiting)");
    await expect(live.getByTestId("live-event").filter({ hasText: "system.test" })).toHaveCount(1);
    await live.getByTestId("pause").click();
    await expect(live.getByTestId("live-event").filter({ hasText: "system.test" })).toHaveCount(2);

    // Statistics refresh by themselves.
    await expect(bus.getByTestId("topic-system.test").getByTestId("published")).toHaveText("2", { timeout: 15_000 });

    // The event log lists it and filters by topic.
    await bus.goto(`${server.baseURL}/admin/events/log?topic=system.*`);
    await expect(bus.getByTestId("log-row")).toHaveCount(2);
    await bus.goto(`${server.baseURL}/admin/events/log?topic=user.created`);
    await expect(bus.getByTestId("log-row")).toHaveCount(1);
    await bus.goto(`${server.baseURL}/admin/events/log?topic=Not+A+Topic`);
    await expect(bus.getByTestId("log-error")).toContainText("Enter a topic");
  });
});
