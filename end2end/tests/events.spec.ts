import { expect, test } from "@playwright/test";
import { ready, signIn, startWithAdmin } from "./helpers";
import { RunningServer } from "./server";

test.describe.serial("event bus pages", () => {
  let server: RunningServer;

  test.beforeAll(async ({ browser }) => {
    server = await startWithAdmin(browser);
  });

  test.afterAll(async () => {
    await server.stop();
  });

  test("a test event shows up live, in the statistics and in the log", async ({ browser }) => {
    const live = await browser.newPage();
    await signIn(live, server, "/admin/events/live");
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
    await expect(bus.getByTestId("load-error")).toContainText("Enter a topic");
  });
});
