import { expect, Page } from "@playwright/test";
import { createShift, ready, signIn, signUp, startWithAdmin, test } from "./helpers";
import { RunningServer } from "./server";

// A browser keeps at most six connections to a server over HTTP/1.1, and each live admin page
// holds one for its event stream. Headless Chromium shows every page as visible, so these
// tests put a page in the background as a browser does for a tab behind another: the
// document's visibility becomes "hidden" and `visibilitychange` fires.
async function setVisible(page: Page, visible: boolean) {
  await page.evaluate(showOrHide, visible);
}

function showOrHide(visible: boolean) {
  const state = visible ? "visible" : "hidden";
  Object.defineProperty(document, "visibilityState", { value: state, configurable: true });
  Object.defineProperty(document, "hidden", { value: !visible, configurable: true });
  document.dispatchEvent(new Event("visibilitychange"));
}

test.describe.serial("live pages", () => {
  let server: RunningServer;

  test.beforeAll(async ({ browser }) => {
    server = await startWithAdmin(browser);
  });

  test.afterAll(async () => {
    await server.stop();
  });

  test("many live admin tabs: those in the background give back their connection and catch up when shown", async ({
    browser,
  }) => {
    const context = await browser.newContext();
    const shiftTab = await context.newPage();
    await signIn(shiftTab, server, "/admin/shifts");
    await createShift(shiftTab, "Tab-hopping canvass", 4);
    await shiftTab.getByRole("link", { name: "Tab-hopping canvass" }).click();
    await expect(shiftTab.getByTestId("shift-summary")).toContainText("0/4 signed up");
    await ready(shiftTab);
    await setVisible(shiftTab, false);

    // Eleven more live pages in the same browser. Five, like the shift's page, are left
    // behind as the next one opens; six are opened behind the current tab (as a link opened in
    // a new tab in the background). Six of either kind would take every connection the
    // browser has for the server if they kept their streams.
    const pages = ["/admin", "/admin/contacts", "/admin/payments", "/admin/events/live", "/admin/shifts"];
    for (const path of pages) {
      const tab = await context.newPage();
      await tab.goto(`${server.baseURL}${path}`);
      await ready(tab);
      await setVisible(tab, false);
    }
    const inBackground = [];
    for (const path of ["/admin/shifts", ...pages]) {
      const tab = await context.newPage();
      await tab.addInitScript(showOrHide, false);
      await tab.goto(`${server.baseURL}${path}`);
      await ready(tab);
      inBackground.push(tab);
    }
    const listTab = inBackground[0];

    // The tab in front still loads, and its stream connects and shows what happens.
    const liveTab = await context.newPage();
    await liveTab.goto(`${server.baseURL}/admin/events/live`);
    await ready(liveTab);
    await expect(liveTab.getByTestId("connection")).toHaveText("Connected");
    const volunteer = await (await browser.newContext()).newPage();
    await signUp(volunteer, server, "Tab-hopping canvass", 1);
    await expect(liveTab.getByTestId("live-event").filter({ hasText: "shift.signup.created" })).toBeVisible();

    // The shift's tab, brought back, shows the sign-up made while it was behind, without a reload.
    await expect(shiftTab.getByTestId("signup-row")).toHaveCount(0);
    await setVisible(shiftTab, true);
    await expect(shiftTab.getByTestId("signup-row").filter({ hasText: "v1@example.org" })).toBeVisible();
    await expect(shiftTab.getByTestId("shift-summary")).toContainText("1/4 signed up");
    // So does the list opened behind, which never had an event before.
    const listRow = listTab.getByTestId("admin-shift").filter({ hasText: "Tab-hopping canvass" });
    await expect(listRow).toContainText("0/4");
    await setVisible(listTab, true);
    await expect(listRow).toContainText("1/4");
    await context.close();
  });

  test("the live events page, back in front, shows the events that came while it was behind", async ({ browser }) => {
    const context = await browser.newContext();
    const admin = await context.newPage();
    await signIn(admin, server, "/admin/shifts");
    await createShift(admin, "Background leafleting", 3);
    const live = await context.newPage();
    await live.goto(`${server.baseURL}/admin/events/live`);
    await ready(live);
    await expect(live.getByTestId("connection")).toHaveText("Connected");
    await setVisible(live, false);

    const volunteer = await (await browser.newContext()).newPage();
    await signUp(volunteer, server, "Background leafleting", 2);
    // The admin's list, in front, has had the event; the page behind has not.
    await expect(admin.getByTestId("admin-shift").filter({ hasText: "Background leafleting" })).toContainText("1/3");
    await expect(live.getByTestId("live-event").filter({ hasText: "shift.signup.created" })).toHaveCount(0);

    await setVisible(live, true);
    await expect(live.getByTestId("live-event").filter({ hasText: "shift.signup.created" })).toHaveCount(1);
    // A pause while hidden is not a dropped connection.
    await expect(live.getByTestId("connection")).toHaveText("Connected");
    await expect(live.getByText("0 reconnects")).toBeVisible();
    await context.close();
  });
});
