import { expect, Page } from "@playwright/test";
import { createShift, expectFitsPhone, overflow, panicsOf, ready, signIn, signUp, startWithAdmin, test, violations } from "./helpers";
import { RunningServer } from "./server";

// Opens each path in `page` and expects no violation on any of them, and that each hydrated
// without a panic.
async function expectAccessible(page: Page, server: RunningServer, paths: string[]) {
  const panics = panicsOf(page);
  for (const path of paths) {
    await page.goto(`${server.baseURL}${path}`);
    await ready(page);
    expect(await violations(page), path).toEqual([]);
    expect(panics, path).toEqual([]);
  }
}

// The public pages a visitor reaches without a token of their own.
const PUBLIC_PAGES = ["/", "/shifts", "/events", "/stories", "/videos", "/canvass", "/login", "/register", "/forgot-password", "/reset-password?token=x", "/shifts/links", "/shifts/cancel?token=x", "/unsubscribe?token=x", "/meetings/reply?token=x", "/my/shifts", "/donate", "/shop", "/membership", "/no-such-page",
  // A public page whose record is not found says so inside its own layout.
  "/videos/no-such-video", "/stories/no-such-story", "/events/no-such-event", "/shop/no-such-product", "/campaigns/no-such-campaign", "/ticket?token=x"];

// Every admin page in the sidebar (read from it, so a new page is checked too), and the pages
// reached from those that have no entry of their own.
async function adminPages(admin: Page): Promise<string[]> {
  // Both the sidebar and the phone's menu, one of them hidden: each address once.
  const entries = await admin
    .locator("nav[aria-label=Admin] a")
    .evaluateAll((links) => links.map((link) => link.getAttribute("href")!));
  const sidebar = [...new Set(entries)];
  expect(sidebar.length).toBeGreaterThan(20);
  return [...sidebar, "/admin/shifts/hours", "/admin/contacts/leaderboard", "/admin/sms/campaigns"];
}

test.describe.serial("accessibility", () => {
  // Three of these load, hydrate and check dozens of pages each: longer than the default minute
  // while the other worker runs a spec too.
  test.describe.configure({ timeout: 180_000 });
  let server: RunningServer;

  test.beforeAll(async ({ browser }) => {
    server = await startWithAdmin(browser);
  });

  test.afterAll(async () => {
    await server.stop();
  });

  test("the volunteer pages pass axe, from the list to a cancelled sign-up", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/shifts");
    await createShift(admin, "Door knocking", 1);
    await createShift(admin, "Sorting", 5, "Food bank"); // two places: the list offers "Where"

    const volunteer = await (await browser.newContext()).newPage();
    await expectAccessible(volunteer, server, [...PUBLIC_PAGES, "/shifts?place=Food+bank"]);
    // "Where" narrows the list to one place.
    await volunteer.goto(`${server.baseURL}/shifts`);
    await ready(volunteer);
    await volunteer.getByLabel("Where").selectOption("Food bank");
    await volunteer.getByRole("button", { name: "Show" }).click();
    await expect(volunteer).toHaveURL(/\?place=Food\+bank$/);
    await expect(volunteer.getByTestId("public-shift")).toHaveCount(1);
    await expect(volunteer.getByTestId("public-shift")).toContainText("Sorting");
    // A shift ticked before changing place stays ticked.
    await volunteer.getByLabel("Choose").check();
    await volunteer.getByLabel("Where").selectOption("");
    await volunteer.getByRole("button", { name: "Show" }).click();
    await expect(volunteer).toHaveURL(/\?place=&id=[^&]+$/);
    await expect(volunteer.getByTestId("public-shift").filter({ hasText: "Sorting" }).getByLabel("Choose")).toBeChecked();
    await expect(volunteer.getByRole("button", { name: "Sign up for the ticked shifts" })).toBeVisible();
    // Shifts ticked on the list, and the page that signs up for them together.
    await volunteer.goto(`${server.baseURL}/shifts`);
    await ready(volunteer);
    await volunteer.getByLabel("Choose").nth(0).check();
    await volunteer.getByLabel("Choose").nth(1).check();
    expect(await violations(volunteer), "shifts ticked").toEqual([]);
    await volunteer.getByRole("button", { name: "Sign up for the ticked shifts" }).click();
    await ready(volunteer);
    await expect(volunteer.getByTestId("chosen-shift")).toHaveCount(2);
    expect(await violations(volunteer), "chosen shifts").toEqual([]);
    // The sign-up form, then the same form showing what is missing.
    await volunteer.goto(`${server.baseURL}/shifts`);
    await volunteer.getByRole("link", { name: "Door knocking" }).click();
    await ready(volunteer);
    expect(await violations(volunteer), "sign-up form").toEqual([]);
    await volunteer.getByLabel("Your name").fill("Volunteer 1");
    await volunteer.getByLabel("Email").fill("v1@example.org");
    await volunteer.getByLabel("Phone (optional)").fill("call me");
    await volunteer.getByRole("button", { name: "Sign up" }).click();
    await expect(volunteer.getByText("Enter a phone number with digits")).toBeVisible();
    await expect(volunteer.getByLabel("Phone (optional)")).toHaveAccessibleDescription(/^Enter a phone number with digits/);
    // The keyboard is taken from the button to the field to mend, which reads out its message.
    await expect(volunteer.getByLabel("Phone (optional)")).toBeFocused();
    expect(await violations(volunteer), "sign-up form with errors").toEqual([]);
    // The confirmation, on the waitlist too, and the cancel link's page.
    await signUp(volunteer, server, "Door knocking", 1);
    expect(await violations(volunteer), "confirmation").toEqual([]);
    const cancelUrl = (await volunteer.getByTestId("cancel-link").getAttribute("href"))!;
    const waiting = await (await browser.newContext()).newPage();
    await signUp(waiting, server, "Door knocking", 2);
    await expect(waiting.getByTestId("signup-confirmation")).toContainText("waitlist");
    expect(await violations(waiting), "waitlist confirmation").toEqual([]);
    await volunteer.goto(`${cancelUrl}&signed_up=1`);
    await ready(volunteer);
    await expect(volunteer.getByTestId("signup-confirmation")).toContainText("You're signed up");
    expect(await violations(volunteer), "receipt after a sign-up sent without JavaScript").toEqual([]);
    await volunteer.goto(cancelUrl);
    await ready(volunteer);
    expect(await violations(volunteer), "cancel link").toEqual([]);
    await volunteer.getByRole("button", { name: "Yes, cancel my sign-up" }).click();
    await expect(volunteer.getByTestId("cancel-result")).toContainText("cancelled");
    expect(await violations(volunteer), "cancelled").toEqual([]);
  });

  test("the admin pages pass axe", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/shifts");
    await expect(admin.getByRole("heading", { name: "Shifts", level: 1 })).toBeVisible();
    expect(await violations(admin), "/admin/shifts").toEqual([]);
    await admin.getByRole("link", { name: "Door knocking" }).click();
    await ready(admin);
    await expect(admin.getByTestId("signup-row")).toHaveCount(1);
    expect(await violations(admin), "a shift's page").toEqual([]);
    await admin.getByRole("link", { name: "Print sign-in sheet" }).click();
    await ready(admin);
    await expect(admin.getByTestId("sheet-row")).toHaveCount(1);
    expect(await violations(admin), "sign-in sheet").toEqual([]);
    // A volunteer's contact, with their sign-ups listed (links in a line of text).
    await admin.goto(`${server.baseURL}/admin/contacts`);
    await admin.getByTestId("contact-row").getByRole("link", { name: "Volunteer 1" }).click();
    await expect(admin.getByTestId("contact-signup")).toContainText("Door knocking");
    await ready(admin);
    expect(await violations(admin), "a contact's page").toEqual([]);
    // Live events is checked last, once its stream has connected.
    const pages = (await adminPages(admin)).filter((path) => path !== "/admin/events/live");
    await expectAccessible(admin, server, pages);
    // Signed in: one's own account, and My shifts with the calendar link before and after it
    // is made.
    await expectAccessible(admin, server, [
      "/canvass",
      "/account",
      "/account/password",
      "/account/confirm-email?token=spent",
      "/my/shifts",
    ]);
    await admin.getByRole("button", { name: "Get my calendar link" }).click();
    await expect(admin.getByLabel("Your private calendar link")).toBeVisible();
    expect(await violations(admin), "/my/shifts with a calendar link").toEqual([]);
    await admin.goto(`${server.baseURL}/admin/events/live`);
    await ready(admin);
    await expect(admin.getByTestId("connection")).toHaveText("Connected");
    expect(await violations(admin), "/admin/events/live").toEqual([]);
  });

  test("the first key press offers a way past the menus to the page's own content", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/shifts");
    const volunteer = await browser.newPage();
    for (const [page, path] of [[admin, "/admin/shifts"], [volunteer, "/shifts"]] as const) {
      await page.goto(`${server.baseURL}${path}`);
      await ready(page);
      const skip = page.getByRole("link", { name: "Skip to main content" });
      // Out of sight (one pixel, for screen readers) until the keyboard reaches it.
      expect((await skip.boundingBox())!.width).toBeLessThanOrEqual(1);
      await page.keyboard.press("Tab");
      await expect(skip).toBeFocused();
      expect((await skip.boundingBox())!.width).toBeGreaterThan(50);
      await page.keyboard.press("Enter");
      // The next Tab is inside the page's content, past every link of the header and the menu.
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => document.activeElement?.closest("main")?.id), page.url()).toBe("main");
    }
  });

  test("the navigation marks the page it is on; on a phone it is a menu named after that page", async ({ browser }) => {
    const admin = await (await browser.newContext({ viewport: { width: 360, height: 800 } })).newPage();
    const menu = admin.locator("summary").filter({ hasText: "Menu" });
    const nav = admin.getByRole("navigation", { name: "Admin" });
    // Closed, the menu names the page shown, after signing in (the page is drawn in the
    // browser) and when loaded (drawn on the server); its entries take no room.
    await signIn(admin, server, "/admin/events/bus");
    await expect(menu).toContainText("Event bus");
    await expect(nav).toBeHidden();
    await admin.goto(`${server.baseURL}/admin/users`);
    await ready(admin);
    await expect(menu).toContainText("Users");
    await expect(nav).toBeHidden();
    // Open, it lists every entry under its group's heading, the current one marked; choosing
    // one goes there and closes it.
    await menu.click();
    await expect(nav.getByRole("link", { name: "Users" })).toHaveAttribute("aria-current", "page");
    await expect(nav.getByText("Organising", { exact: true })).toBeVisible();
    const texts = await nav.locator("p, a").allTextContents();
    expect(texts.slice(texts.indexOf("People"), texts.indexOf("People") + 4)).toEqual(["People", "Contacts", "Users", "Money"]);
    await expect(nav.getByRole("link", { name: "Event bus" })).toBeVisible();
    await nav.getByRole("link", { name: "Shifts" }).click();
    await expect(admin).toHaveURL(/\/admin\/shifts$/);
    await expect(nav).toBeHidden();
    await expect(menu).toContainText("Shifts");
    // A page below an entry is in that entry, and only in it.
    await admin.getByRole("link", { name: "Door knocking" }).click();
    await expect(admin.getByRole("heading", { name: "Door knocking" })).toBeVisible();
    await expect(menu).toContainText("Shifts");
    await menu.click();
    await expect(nav.locator("[aria-current=page]")).toHaveText("Shifts");
    await admin.goto(`${server.baseURL}/admin/payments/products`);
    await ready(admin);
    await expect(menu).toContainText("Products");
    await expect(admin.locator("nav[aria-label=Admin] [aria-current=page]").first()).toHaveText("Products");

    // Before the page's code has loaded (or without JavaScript) the menu opens as well.
    const plain = await (await browser.newContext({ viewport: { width: 360, height: 800 }, javaScriptEnabled: false })).newPage();
    await plain.context().addCookies(await admin.context().cookies());
    await plain.goto(`${server.baseURL}/admin/shifts`);
    await plain.locator("summary").filter({ hasText: "Menu" }).click();
    await expect(plain.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Users" })).toBeVisible();
  });

  test("no page is wider than a phone", async ({ browser }) => {
    const phone = { viewport: { width: 360, height: 800 } };
    const volunteer = await (await browser.newContext(phone)).newPage();
    await volunteer.goto(`${server.baseURL}/shifts`);
    await volunteer.getByRole("link", { name: "Door knocking" }).click();
    await ready(volunteer);
    const shiftPage = new URL(volunteer.url()).pathname;
    const admin = await (await browser.newContext(phone)).newPage();
    await signIn(admin, server, "/admin/shifts");
    const adminShiftPage = (await admin.getByRole("link", { name: "Door knocking" }).getAttribute("href"))!;
    for (const [page, paths] of [
      [volunteer, [...PUBLIC_PAGES, shiftPage]],
      [admin, [...(await adminPages(admin)), adminShiftPage, "/account", "/account/password", "/account/confirm-email?token=spent"]],
    ] as const) {
      for (const path of paths) {
        await page.goto(`${server.baseURL}${path}`);
        await ready(page);
        expect(await overflow(page), path).toBeLessThanOrEqual(0);
      }
    }

    // The organiser's lists fit a phone whole, none of their columns out of sight in a box
    // scrolled sideways: what a wide screen shows in its own columns is under the first one.
    // (Each module's own spec checks its lists this way once they hold data.)
    for (const path of ["/admin/shifts", "/admin/emails", "/admin/contacts", "/admin/users", "/admin/events/log"]) {
      await admin.goto(`${server.baseURL}${path}`);
      await ready(admin);
      await expectFitsPhone(admin, path);
    }
    await expect(admin.getByTestId("log-row").filter({ hasText: "shift.created" }).first()).toContainText(/shift.created\n.* · Ana Admin\s+Payload/, {
      useInnerText: true,
    });
    await admin.goto(`${server.baseURL}/admin/shifts`);
    await ready(admin);
    const sorting = admin.getByTestId("admin-shift").filter({ hasText: "Sorting" });
    await expect(sorting).toContainText(/09:00–12:00 .* · Food bank/, { useInnerText: true });
    await expect(sorting).toContainText("0/5", { useInnerText: true });
    await expect(sorting).toContainText("Open", { useInnerText: true });
  });
});
