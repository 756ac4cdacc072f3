import { expect, Locator, Page } from "@playwright/test";
import { emailedLink, FakeSmtp, startFakeSmtp } from "./fake-smtp";
import { configureSmtp, createShift, expectFitsPhone, overflow, ready, signIn, signUp, startWithAdmin, test, tomorrow, violations } from "./helpers";
import { RunningServer } from "./server";

test.describe.serial("volunteer shifts", () => {
  let server: RunningServer;

  test.beforeAll(async ({ browser }) => {
    server = await startWithAdmin(browser);
  });

  test.afterAll(async () => {
    await server.stop();
  });

  test("an admin creates a shift, a volunteer signs up and cancels by the private link", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/shifts");
    await createShift(admin, "Saturday canvass", 4);
    await admin.getByRole("link", { name: "Saturday canvass" }).click();
    await expect(admin.getByTestId("shift-summary")).toContainText("0/4 signed up");
    await ready(admin);

    const live = await browser.newPage({ storageState: await admin.context().storageState() });
    await live.goto(`${server.baseURL}/admin/events/live`);
    await ready(live);
    await expect(live.getByTestId("connection")).toHaveText("Connected");
    // The dashboard lists it among the coming week's shifts with spots to fill.
    const dashboard = await browser.newPage({ storageState: await admin.context().storageState() });
    // Its live parts share one stream (a browser holds few connections per server).
    const streams: string[] = [];
    dashboard.on("request", (request) => {
      if (request.url().includes("/api/events/stream")) streams.push(request.url());
    });
    await dashboard.goto(`${server.baseURL}/admin`);
    await ready(dashboard);
    const onDashboard = dashboard.getByTestId("needing-shift").filter({ hasText: "Saturday canvass" });
    await expect(onDashboard).toContainText("0/4 signed up · 4 left");

    // The admin starts an edit; what they type stays while the page follows the sign-ups.
    await admin.getByRole("button", { name: "Edit shift" }).click();
    await admin.getByLabel("Title", { exact: true }).fill("Saturday canvass, north side");

    // A volunteer, in a browser context of their own.
    const volunteer = await (await browser.newContext()).newPage();
    await signUp(volunteer, server, "Saturday canvass", 1);
    await expect(volunteer.getByTestId("signup-confirmation")).toContainText("You're signed up");
    await expect(live.getByTestId("live-event").filter({ hasText: "shift.signup.created" })).toBeVisible();

    // The admin's shift page shows the new volunteer without a reload.
    await expect(admin.getByTestId("signup-row").filter({ hasText: "v1@example.org" })).toBeVisible();
    await expect(admin.getByTestId("shift-summary")).toContainText("1/4 signed up");
    await expect(onDashboard).toContainText("1/4 signed up · 3 left");
    expect(streams).toHaveLength(1);
    await expect(admin.getByLabel("Title", { exact: true })).toHaveValue("Saturday canvass, north side");
    await admin.getByRole("button", { name: "Discard" }).click();
    await expect(admin.getByLabel("Title", { exact: true })).toHaveCount(0);

    // The cancel link works without an account, after a confirmation.
    // The link is shown whole, ready to copy.
    const cancelUrl = (await volunteer.getByTestId("cancel-link").getAttribute("href"))!;
    expect(cancelUrl.startsWith(`${server.baseURL}/shifts/cancel?token=`)).toBe(true);
    await expect(volunteer.getByTestId("cancel-link")).toHaveText(cancelUrl);
    await volunteer.goto(cancelUrl);
    await ready(volunteer);
    await expect(volunteer.getByTestId("cancel-what")).toContainText("Saturday canvass");
    await volunteer.getByRole("button", { name: "Yes, cancel my sign-up" }).click();
    await expect(volunteer.getByTestId("cancel-result")).toContainText("cancelled");
    await expect(admin.getByTestId("signup-row")).toHaveCount(0);
    await expect(admin.getByTestId("shift-summary")).toContainText("0/4 signed up");
    await expect(admin.getByTestId("shift-summary")).toContainText("Open");

    // The admin adds someone who phoned in; the form empties for the next one.
    const addForm = admin.locator("section").filter({ hasText: "Add a volunteer" });
    await addForm.getByLabel("Name", { exact: true }).fill("Phoned In");
    await addForm.getByLabel("Email", { exact: true }).fill("phoned@example.org");
    await addForm.getByRole("button", { name: "Add", exact: true }).click();
    await expect(admin.getByTestId("signup-row").filter({ hasText: "phoned@example.org" })).toBeVisible();
    await expect(addForm.getByLabel("Name", { exact: true })).toHaveValue("");
    await expect(addForm.getByLabel("Email", { exact: true })).toHaveValue("");
  });

  test("a volunteer signs in from a shift, signs up in one click and cancels from My shifts", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/users");
    await admin.getByLabel("Name", { exact: true }).fill("Vic Volunteer");
    await admin.getByLabel("Email", { exact: true }).fill("vic@example.org");
    await admin.getByLabel("Password (at least 12 characters)").fill("a long enough password");
    await admin.getByRole("button", { name: "Create account" }).click();
    await expect(admin.getByRole("status").filter({ hasText: "Account created." })).toHaveText("Account created.");
    await admin.goto(`${server.baseURL}/admin/shifts`);
    await ready(admin);
    await createShift(admin, "Leaflet drop", 3);
    // The create form is empty again, so a second press cannot make a twin.
    await expect(admin.getByLabel("Title", { exact: true })).toHaveValue("");

    const volunteer = await (await browser.newContext()).newPage();
    await volunteer.goto(`${server.baseURL}/shifts`);
    await ready(volunteer);
    await expect(volunteer.getByTestId("organisation")).toHaveText("Riverside Tenants");
    await volunteer.getByRole("link", { name: "Leaflet drop" }).click();
    await ready(volunteer);
    const shiftUrl = volunteer.url();
    await volunteer.getByRole("link", { name: "Sign in", exact: true }).click();
    await ready(volunteer);
    await volunteer.getByLabel("Email").fill("vic@example.org");
    await volunteer.getByLabel("Password").fill("a long enough password");
    await volunteer.getByRole("button", { name: "Sign in" }).click();
    // Back on the shift, signed in: no name or email to type.
    await expect(volunteer).toHaveURL(shiftUrl);
    await ready(volunteer);
    await expect(volunteer.getByTestId("signing-up-as")).toContainText("Vic Volunteer (vic@example.org)");
    await expect(volunteer.getByLabel("Your name")).toHaveCount(0);
    await volunteer.getByRole("button", { name: "Sign up" }).click();
    await expect(volunteer.getByTestId("signup-confirmation")).toContainText("You're signed up");
    await expect(admin.getByTestId("admin-shift").filter({ hasText: "Leaflet drop" })).toContainText("1/3");
    // A second click is refused, with the reason shown.
    await volunteer.reload();
    await ready(volunteer);
    await volunteer.getByRole("button", { name: "Sign up" }).click();
    await expect(volunteer.getByTestId("error-form[email]")).toHaveText("This email is already signed up for this shift.");
    // Another shift at the same time says so, before she signs up for it.
    await volunteer.goto(`${server.baseURL}/shifts`);
    await volunteer.getByRole("link", { name: "Saturday canvass" }).click();
    await ready(volunteer);
    await expect(volunteer.getByTestId("clashes")).toContainText("At that time you are also signed up for:");
    await expect(volunteer.getByTestId("clashes")).toContainText("Leaflet drop");
    // She signs up all the same: My shifts marks each of the two with the other.
    await volunteer.getByRole("button", { name: "Sign up" }).click();
    await expect(volunteer.getByTestId("signup-confirmation")).toContainText("You're signed up");

    await volunteer.getByRole("link", { name: "My shifts" }).click();
    await ready(volunteer);
    // A sign-up by its title (the other's clash notice names it too).
    const myShift = (title: string) =>
      volunteer.getByTestId("my-shift").filter({ has: volunteer.getByText(title, { exact: true }) });
    const mine = myShift("Leaflet drop");
    const canvass = myShift("Saturday canvass");
    await expect(mine).toContainText("Signed up");
    await expect(mine.getByTestId("clashes")).toContainText("At the same time as:");
    await expect(mine.getByTestId("clashes")).toContainText("Saturday canvass");
    await expect(canvass.getByTestId("clashes")).toContainText("Leaflet drop");
    // The organiser sees the double booking on the shift's page, under her name.
    await admin.getByRole("link", { name: "Leaflet drop" }).click();
    await ready(admin);
    const vicRow = admin.getByTestId("signup-row").filter({ hasText: "Vic Volunteer" });
    await expect(vicRow.getByTestId("also-on")).toContainText("Also on at this time: Saturday canvass");
    await admin.goto(`${server.baseURL}/admin/shifts`);
    await ready(admin);
    // Cancelling the canvass clears the mark on the one she keeps.
    await canvass.getByRole("link", { name: "Cancel" }).click();
    await canvass.getByRole("button", { name: "Yes, cancel" }).click();
    await expect(canvass).toHaveCount(0);
    await expect(mine.getByTestId("clashes")).toHaveCount(0);
    // A private calendar link, made on request and shown once; calendar apps read the shift
    // from it without a session.
    await volunteer.getByRole("button", { name: "Get my calendar link" }).click();
    const link = await volunteer.getByLabel("Your private calendar link").inputValue();
    const token = new URL(link).searchParams.get("token");
    expect(token).toBeTruthy();
    const feed = await (await browser.newContext()).request.get(`${server.baseURL}/api/my/shifts.ics?token=${token}`);
    expect(feed.status()).toBe(200);
    expect(await feed.text()).toContain("SUMMARY:Leaflet drop");
    // "Cancel" asks first, in place; "Keep it" takes the question back.
    await mine.getByRole("link", { name: "Cancel" }).click();
    await mine.getByRole("link", { name: "Keep it" }).click();
    await expect(volunteer).toHaveURL(/\/my\/shifts$/);
    await mine.getByRole("link", { name: "Cancel" }).click();
    await mine.getByRole("button", { name: "Yes, cancel" }).click();
    await expect(volunteer.getByText("You have no upcoming shifts.")).toBeVisible();
    await expect(admin.getByTestId("admin-shift").filter({ hasText: "Leaflet drop" })).toContainText("0/3");

    // Signing out from My shifts ends the session.
    await expect(volunteer.getByTestId("signed-in-as")).toContainText("Vic Volunteer (vic@example.org)");
    await volunteer.getByRole("button", { name: "Sign out" }).click();
    await expect(volunteer).toHaveURL(/\/login$/);
    await volunteer.goto(`${server.baseURL}/my/shifts`);
    await ready(volunteer);
    await expect(volunteer.getByTestId("sign-in-first")).toBeVisible();

    // Signed up without signing in, with her account's email: not on My shifts until she
    // opens the sign-up's private link signed in, and adds it.
    await volunteer.goto(`${server.baseURL}/shifts`);
    await volunteer.getByRole("link", { name: "Leaflet drop" }).click();
    await ready(volunteer);
    await volunteer.getByLabel("Your name").fill("Vic Volunteer");
    await volunteer.getByLabel("Email").fill("vic@example.org");
    await volunteer.getByRole("button", { name: "Sign up" }).click();
    const cancelLink = await volunteer.getByTestId("cancel-link").textContent();
    await volunteer.goto(`${server.baseURL}/login?next=/my/shifts`);
    await ready(volunteer);
    await volunteer.getByLabel("Email").fill("vic@example.org");
    await volunteer.getByLabel("Password").fill("a long enough password");
    await volunteer.getByRole("button", { name: "Sign in" }).click();
    await expect(volunteer).toHaveURL(/\/my\/shifts$/);
    await ready(volunteer);
    await expect(volunteer.getByText("You have no upcoming shifts.")).toBeVisible();
    await expect(volunteer.getByTestId("not-signed-in-hint")).toBeVisible();
    await volunteer.goto(cancelLink!);
    await ready(volunteer);
    await volunteer.getByRole("button", { name: "Add it to My shifts" }).click();
    await expect(volunteer.getByTestId("add-to-my-shifts")).toContainText("Added.");
    await volunteer.getByRole("link", { name: "See My shifts" }).click();
    await expect(myShift("Leaflet drop")).toContainText("Signed up");
  });

  test("a full shift puts the next person on the waitlist", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/shifts");
    await createShift(admin, "Phone bank", 2);
    const signedUp: Page[] = [];
    for (const n of [11, 12]) {
      const page = await (await browser.newContext()).newPage();
      await signUp(page, server, "Phone bank", n);
      await expect(page.getByTestId("signup-confirmation")).toContainText("You're signed up");
      signedUp.push(page);
    }
    const third = await (await browser.newContext()).newPage();
    await signUp(third, server, "Phone bank", 13);
    await expect(third.getByTestId("signup-confirmation")).toContainText("waitlist");
    await expect(third.getByTestId("waitlist-place")).toHaveText("You are number 1 in line.");
    // Their cancel link's page tells them their place in line.
    await third.goto((await third.getByTestId("cancel-link").getAttribute("href"))!);
    await ready(third);
    await expect(third.getByTestId("cancel-what")).toContainText("On the waitlist, number 1 in line.");
    // The admin list follows along without a reload.
    await expect(admin.getByTestId("admin-shift").filter({ hasText: "Phone bank" })).toContainText("2/2");
    await expect(admin.getByTestId("admin-shift").filter({ hasText: "Phone bank" })).toContainText("Full");

    // The first volunteer cancels by their link: the waiting one is promoted, live.
    await admin.getByRole("link", { name: "Phone bank" }).click();
    await ready(admin);
    await expect(admin.getByTestId("signup-row").filter({ hasText: "v13@example.org" })).toContainText("Waitlist, number 1");
    const cancelUrl = (await signedUp[0].getByTestId("cancel-link").getAttribute("href"))!;
    await signedUp[0].goto(cancelUrl);
    await ready(signedUp[0]);
    await signedUp[0].getByRole("button", { name: "Yes, cancel my sign-up" }).click();
    await expect(signedUp[0].getByTestId("cancel-result")).toContainText("cancelled");
    await expect(admin.getByTestId("signup-row").filter({ hasText: "v13@example.org" })).toContainText("Confirmed");
    await expect(admin.getByTestId("shift-summary")).toContainText("2/2 signed up · 0 waiting");
    // The link works once.
    await signedUp[0].goto(cancelUrl);
    await ready(signedUp[0]);
    await expect(signedUp[0].getByTestId("load-error")).toContainText("not valid");
    await expect(signedUp[0].getByRole("button", { name: "Yes, cancel my sign-up" })).toHaveCount(0);

    // Without JavaScript (or before the page's code has loaded) the browser sends the forms
    // itself: the sign-up ends on its own page with the receipt, the cancel on "cancelled".
    const plain = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
    await plain.goto(`${server.baseURL}/shifts`);
    await plain.getByRole("link", { name: "Phone bank" }).click();
    await plain.getByLabel("Your name").fill("Volunteer 14");
    await plain.getByLabel("Email").fill("v14@example.org");
    await plain.getByRole("button", { name: "Sign up" }).click();
    await expect(plain).toHaveURL(/\/shifts\/cancel\?token=.*&signed_up=1$/);
    await expect(plain.getByTestId("signup-confirmation")).toContainText("waitlist");
    await expect(plain.getByTestId("waitlist-place")).toHaveText("You are number 1 in line.");
    await expect(admin.getByTestId("shift-summary")).toContainText("2/2 signed up · 1 waiting");
    await plain.getByRole("button", { name: "Yes, cancel my sign-up" }).click();
    await expect(plain.getByTestId("cancel-result")).toContainText("Your sign-up is cancelled.");
    await expect(admin.getByTestId("shift-summary")).toContainText("2/2 signed up · 0 waiting");
  });

  test("an admin edits, repeats and deletes shifts; without SMTP emails wait in the queue", async ({ browser }) => {
    const admin = await browser.newPage();
    // Shifts are typed and shown in the organisation's time zone.
    await signIn(admin, server, "/admin/settings");
    // Typing part of a zone's name narrows the list to it.
    await admin.getByLabel("Find a time zone").fill("london");
    await expect(admin.getByLabel("Time zone", { exact: true }).locator("option")).toHaveCount(1);
    await expect(admin.getByLabel("Time zone", { exact: true })).toHaveValue("Europe/London");
    await admin.getByRole("button", { name: "Save time zone" }).click();
    await expect(admin.getByTestId("time-zone-result")).toHaveText("Saved.");
    // Reminders go a day before unless chosen otherwise; the choice is kept.
    await expect(admin.getByLabel("Send reminders")).toHaveValue("24");
    await admin.getByLabel("Send reminders").selectOption({ label: "Never" });
    await admin.getByRole("button", { name: "Save reminders" }).click();
    await expect(admin.getByTestId("reminders-result")).toHaveText("Saved.");
    await admin.reload();
    await ready(admin);
    await expect(admin.getByLabel("Send reminders")).toHaveValue("0");
    await admin.goto(`${server.baseURL}/admin/shifts`);
    await ready(admin);
    await expect(admin.getByTestId("times-are-in")).toContainText("Times are in Europe/London");
    await createShift(admin, "Leafleting", 3);
    await expect(admin.getByTestId("admin-shift").filter({ hasText: "Leafleting" })).toContainText(/09:00–12:00 (GMT|BST)/);
    await admin.getByRole("link", { name: "Leafleting" }).click();
    await ready(admin);
    await admin.getByRole("button", { name: "Edit shift" }).click();
    await admin.getByLabel("Title", { exact: true }).fill("Leafleting north");
    await admin.getByLabel("Capacity").fill("5");
    await admin.getByRole("button", { name: "Save changes" }).click();
    await expect(admin.getByRole("heading", { name: "Leafleting north" })).toBeVisible();
    await expect(admin.getByTestId("shift-summary")).toContainText("0/5 signed up");

    // Two organisers edit it at once: the second to save is told, and nothing of theirs is saved.
    const colleague = await browser.newPage({ storageState: await admin.context().storageState() });
    await colleague.goto(admin.url());
    await ready(colleague);
    await colleague.getByRole("button", { name: "Edit shift" }).click();
    await admin.getByRole("button", { name: "Edit shift" }).click();
    await admin.getByLabel("Starts").fill("10:00");
    await admin.getByRole("button", { name: "Save changes" }).click();
    await expect(admin.getByText(/10:00–12:00/)).toBeVisible();
    await expect(colleague.getByText(/10:00–12:00/)).toBeVisible();
    await colleague.getByLabel("Title", { exact: true }).fill("Leafleting south");
    await colleague.getByRole("button", { name: "Save changes" }).click();
    await expect(colleague.getByTestId("form-error")).toContainText("Someone else saved changes to this shift while you were editing it");
    await expect(colleague.getByRole("heading", { name: "Leafleting north" })).toBeVisible();
    // Opened again, the form has their change.
    await colleague.getByRole("button", { name: "Discard" }).click();
    await colleague.getByRole("button", { name: "Edit shift" }).click();
    await expect(colleague.getByLabel("Starts")).toHaveValue("10:00");
    await colleague.close();

    // Copying it fills the new shift form with its details; only the date is chosen.
    await admin.getByRole("link", { name: "Copy to a new shift" }).click();
    await ready(admin);
    await expect(admin.getByTestId("copy-of")).toContainText("Leafleting north");
    await expect(admin.getByLabel("Capacity")).toHaveValue("5");
    await expect(admin.getByLabel("Date")).toHaveValue("");
    await admin.getByLabel("Date").fill(tomorrow());
    await admin.getByRole("button", { name: "Create shift" }).click();
    await expect(admin.getByTestId("create-result")).toHaveText("Created “Leafleting north”.");
    await expect(admin.getByTestId("admin-shift").filter({ hasText: "Leafleting north" })).toHaveCount(2);
    await admin.getByRole("link", { name: "Leafleting north" }).first().click();
    await ready(admin);

    // Deleting asks first; keeping it changes nothing.
    await admin.getByRole("button", { name: "Delete shift" }).click();
    await admin.getByRole("button", { name: "Keep it" }).click();
    await expect(admin.getByRole("heading", { name: "Leafleting north" })).toBeVisible();
    await admin.getByRole("button", { name: "Delete shift" }).click();
    await admin.getByRole("button", { name: "Yes, delete" }).click();
    await expect(admin).toHaveURL(/\/admin\/shifts$/);
    await expect(admin.getByTestId("admin-shift").filter({ hasText: "Leafleting north" })).toHaveCount(1);

    // The audit log says who deleted which shift; the name lists only theirs.
    await admin.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Audit log", exact: true }).click();
    await ready(admin);
    const deleted = admin.getByTestId("audit-row").filter({ hasText: "shift.deleted" });
    await expect(deleted).toHaveCount(1);
    await expect(deleted).toContainText("Leafleting north (");
    expect(await violations(admin)).toEqual([]);
    await expectFitsPhone(admin, "the audit log");
    await deleted.getByRole("link", { name: "Ana Admin" }).click();
    await expect(admin.getByTestId("actor-shown")).toContainText("Only Ana Admin");
    await admin.goto(`${server.baseURL}/admin/shifts`);

    // A weekly series: Mondays and Wednesdays for two weeks is four shifts.
    await ready(admin);
    await admin.getByLabel("Title", { exact: true }).fill("Rota");
    await admin.getByLabel("Date").fill(tomorrow());
    await admin.getByLabel("Starts").fill("18:00");
    await admin.getByLabel("Ends").fill("20:00");
    await admin.getByLabel("Capacity").fill("6");
    await admin.getByLabel("Mon", { exact: true }).check();
    await admin.getByLabel("Wed", { exact: true }).check();
    await admin.getByLabel("For how many weeks (1–12)").fill("2");
    await admin.getByRole("button", { name: "Create shift" }).click();
    await expect(admin.getByTestId("create-result")).toHaveText("Created 4 shifts of “Rota”.");
    await expect(admin.getByTestId("admin-shift").filter({ hasText: "Rota" })).toHaveCount(4);

    // No SMTP is set up: the confirmations wait, and the queue says why.
    await admin.goto(`${server.baseURL}/admin/emails`);
    await ready(admin);
    await expect(admin.getByTestId("smtp-missing")).toBeVisible();
    await expect(admin.getByTestId("queued-email").filter({ hasText: "v1@example.org" }).first()).toContainText(
      "Not sent (no SMTP)",
    );
  });

  test("a volunteer signs up for a shift and the rest of its series at once", async ({ browser }) => {
    // The weekly "Rota" of the test before: four shifts, Mondays and Wednesdays.
    const volunteer = await (await browser.newContext()).newPage();
    await volunteer.goto(`${server.baseURL}/shifts`);
    await volunteer.getByRole("link", { name: "Rota" }).first().click();
    await ready(volunteer);
    await volunteer.getByText("Which shifts").click();
    await expect(volunteer.getByTestId("later-shifts").locator("li")).toHaveCount(3);
    await volunteer.getByLabel("Your name").fill("Regular Rae");
    await volunteer.getByLabel("Email").fill("rae@example.org");
    await volunteer.getByLabel("Also sign me up for the 3 later shifts of this series").check();
    await volunteer.getByRole("button", { name: "Sign up" }).click();
    await expect(volunteer.getByTestId("signup-confirmation")).toContainText("You're signed up");
    const later = volunteer.getByTestId("later-signups");
    await expect(later).toContainText("And the other shifts you signed up for:");
    await expect(later.locator("li")).toHaveCount(3);
    await expect(later.locator("li").filter({ hasText: "Signed up" })).toHaveCount(3);
    // The spots left, read before she signed up, are no longer shown.
    await expect(volunteer.getByTestId("spots")).toHaveCount(0);

    // Each of the four shifts has her, and the admin list counts her on each.
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/shifts");
    const rota = admin.getByTestId("admin-shift").filter({ hasText: "Rota" });
    await expect(rota).toHaveCount(4);
    for (const row of await rota.all()) {
      await expect(row).toContainText("1/6");
    }

    // An organiser adds someone who phoned in to the second and the two after it.
    await rota.nth(1).getByRole("link", { name: "Rota" }).click();
    await ready(admin);
    const addForm = admin.locator("section").filter({ hasText: "Add a volunteer" });
    await addForm.getByLabel("Name", { exact: true }).fill("Phoned Pat");
    await addForm.getByLabel("Email", { exact: true }).fill("pat@example.org");
    await addForm.getByLabel("Also add them to the later shifts of this series").check();
    await addForm.getByRole("button", { name: "Add", exact: true }).click();
    await expect(admin.getByTestId("signup-row").filter({ hasText: "pat@example.org" })).toBeVisible();
    await admin.goto(`${server.baseURL}/admin/shifts`);
    await ready(admin);
    await expect(rota.nth(0)).toContainText("1/6");
    for (const n of [1, 2, 3]) {
      await expect(rota.nth(n)).toContainText("2/6");
    }
  });

  test("a volunteer switches to another date of the series with their cancel link", async ({ browser }) => {
    // The "Rota" of the tests before: four shifts, 1/6, 2/6, 2/6 and 2/6 signed up.
    const volunteer = await (await browser.newContext()).newPage();
    await volunteer.goto(`${server.baseURL}/shifts`);
    await volunteer.getByRole("link", { name: "Rota" }).first().click();
    await ready(volunteer);
    await volunteer.getByLabel("Your name").fill("Busy Bo");
    await volunteer.getByLabel("Email").fill("bo@example.org");
    await volunteer.getByRole("button", { name: "Sign up" }).click();
    await expect(volunteer.getByTestId("signup-confirmation")).toContainText("You're signed up");

    // Later, that date is no good: the cancel link offers the other three.
    await volunteer.goto((await volunteer.getByTestId("cancel-link").getAttribute("href"))!);
    await ready(volunteer);
    const dates = volunteer.getByTestId("switch-date").getByLabel("Another date");
    await expect(dates.locator("option")).toHaveCount(4);
    expect(await violations(volunteer), "the cancel page with its switch").toEqual([]);
    await dates.selectOption({ index: 1 });
    await volunteer.getByRole("button", { name: "Switch to this date" }).click();
    await expect(volunteer).toHaveURL(/switched=1/);
    await expect(volunteer.getByTestId("switched")).toContainText("You switched to this date.");
    await expect(volunteer.getByTestId("signup-confirmation")).toContainText("You're signed up");

    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/shifts");
    const rota = admin.getByTestId("admin-shift").filter({ hasText: "Rota" });
    await expect(rota.nth(0)).toContainText("1/6");
    await expect(rota.nth(1)).toContainText("3/6");

    // The receipt's link is the new one: it cancels, leaving the rota as the next test expects.
    await volunteer.getByRole("button", { name: "Yes, cancel my sign-up" }).click();
    await expect(volunteer.getByTestId("cancel-result")).toContainText("cancelled");
    await expect(rota.nth(1)).toContainText("2/6");

    // Signed in, My shifts offers the same: the organiser signs herself up and changes the date.
    const own = await (await browser.newContext()).newPage();
    await signIn(own, server, "/admin/shifts");
    await own.goto(`${server.baseURL}/shifts`);
    await own.getByRole("link", { name: "Rota" }).first().click();
    await ready(own);
    await own.getByRole("button", { name: "Sign up" }).click();
    await expect(own.getByTestId("signup-confirmation")).toContainText("You're signed up");
    await own.goto(`${server.baseURL}/my/shifts`);
    await ready(own);
    const booked = own.getByTestId("my-shift").filter({ hasText: "Rota" });
    await booked.getByRole("link", { name: "Change date" }).click();
    await booked.getByLabel("Another date").selectOption({ index: 1 });
    await booked.getByRole("button", { name: "Switch to this date" }).click();
    await expect(rota.nth(0)).toContainText("1/6");
    await expect(rota.nth(1)).toContainText("3/6");
    await expect(booked.getByRole("link", { name: "Change date" })).toBeVisible();
    await booked.getByRole("link", { name: "Cancel" }).click();
    await booked.getByRole("button", { name: "Yes, cancel" }).click();
    await expect(rota.nth(1)).toContainText("2/6");
  });

  test("a volunteer ticks shifts on the list and signs up for them all at once", async ({ browser }) => {
    const volunteer = await (await browser.newContext()).newPage();
    await volunteer.goto(`${server.baseURL}/shifts`);
    await ready(volunteer);
    // The button shows once something is ticked.
    const signUpTicked = volunteer.getByRole("button", { name: "Sign up for the ticked shifts" });
    await expect(signUpTicked).toBeHidden();
    const rota = volunteer.getByTestId("public-shift").filter({ hasText: "Rota" });
    for (const n of [0, 1, 2]) {
      await rota.nth(n).getByLabel("Choose").check();
    }
    // The button stays in view at the bottom, and fits a phone.
    const size = volunteer.viewportSize()!;
    await volunteer.setViewportSize({ width: 360, height: 800 });
    await expect(signUpTicked).toBeInViewport();
    expect(await overflow(volunteer)).toBeLessThanOrEqual(0);
    await volunteer.setViewportSize(size);
    await signUpTicked.click();

    await expect(volunteer).toHaveURL(/\/shifts\/chosen\?id=.+&id=.+&id=.+/);
    await ready(volunteer);
    await expect(volunteer.getByTestId("chosen-shift")).toHaveCount(3);
    // She changes her mind about the middle one: left out here, and unticked on the list.
    await volunteer.getByTestId("chosen-shift").nth(1).getByRole("link", { name: /^Leave out/ }).click();
    await expect(volunteer).toHaveURL(/\/shifts\/chosen\?id=[^&]+&id=[^&]+$/);
    await ready(volunteer);
    await expect(volunteer.getByTestId("chosen-shift")).toHaveCount(2);
    await volunteer.getByRole("link", { name: "Change your choice on the list" }).click();
    await expect(volunteer).toHaveURL(/\/shifts\?id=[^&]+&id=[^&]+$/);
    await expect(rota.nth(0).getByLabel("Choose")).toBeChecked();
    await expect(rota.nth(1).getByLabel("Choose")).not.toBeChecked();
    await expect(rota.nth(2).getByLabel("Choose")).toBeChecked();
    await signUpTicked.click();
    await ready(volunteer);
    await expect(volunteer.getByTestId("chosen-shift")).toHaveCount(2);
    await expect(volunteer.getByTestId("chosen-shift").first()).toContainText("5 spots left");
    await volunteer.getByLabel("Your name").fill("Ticking Tam");
    await volunteer.getByLabel("Email").fill("tam@example.org");
    await volunteer.getByRole("button", { name: "Sign up for these 2 shifts" }).click();

    // On to the receipt of the first, which lists the other.
    await expect(volunteer).toHaveURL(/\/shifts\/cancel\?token=.+&signed_up=1$/);
    await expect(volunteer.getByTestId("signup-confirmation")).toContainText("You're signed up");
    const later = volunteer.getByTestId("later-signups");
    await expect(later).toContainText("And the other shifts you signed up for:");
    await expect(later.locator("li")).toHaveCount(1);
    await expect(later.locator("li")).toContainText("Signed up");
    // One calendar file holds both.
    const calendar = volunteer.getByRole("link", { name: "Add them all to your calendar (.ics)" });
    const ics = await (await volunteer.request.get(`${server.baseURL}${await calendar.getAttribute("href")}`)).text();
    expect(ics.match(/BEGIN:VEVENT/g)).toHaveLength(2);

    // The list counts her on the two she ticked, not on the one between (its page is redrawn
    // just after a change, so read it again until it is).
    await expect(async () => {
      await volunteer.goto(`${server.baseURL}/shifts`);
      await expect(rota.nth(0)).toContainText("4 spots left", { timeout: 1000 });
      await expect(rota.nth(1)).toContainText("4 spots left", { timeout: 1000 });
      await expect(rota.nth(2)).toContainText("3 spots left", { timeout: 1000 });
    }).toPass();
  });

  test("a big shift's sign-ups come in pages, with a search", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/shifts");
    await createShift(admin, "Big march", 60);
    await admin.getByRole("link", { name: "Big march" }).click();
    await ready(admin);
    const shiftId = admin.url().split("/").pop()!;
    // How often the page fetches the shift again while it follows along live.
    let refetches = 0;
    admin.on("request", (request) => {
      if (request.url().includes("/api/shifts/admin-one")) refetches++;
    });
    // 52 people added by the admin one after another, through the same server function as
    // the page's form.
    const statuses = await admin.evaluate(async (shiftId) => {
      const statuses = [];
      for (let n = 0; n < 52; n++) {
        const body = new URLSearchParams({
          shift_id: shiftId,
          "form[name]": `Marcher ${n}`,
          "form[email]": `m${n}@example.org`,
          "form[phone]": "",
        });
        statuses.push((await fetch("/api/shifts/admin-add", { method: "POST", body })).status);
      }
      return statuses;
    }, shiftId);
    expect(statuses.every((s) => s === 200)).toBe(true);
    // The page follows along live: the first 50 and a link to the rest.
    await expect(admin.getByTestId("shift-summary")).toContainText("52/60 signed up");
    await expect(admin.getByTestId("signup-row")).toHaveCount(50);
    // Changes coming faster than the page needs them are folded into a few fetches (at most
    // two a second), not one per change.
    await admin.waitForTimeout(1_000);
    expect(refetches).toBeGreaterThan(0);
    expect(refetches).toBeLessThan(26);
    await admin.getByRole("link", { name: "Next →" }).click();
    await expect(admin).toHaveURL(/\?page=2$/);
    await expect(admin.getByTestId("signup-row")).toHaveCount(2);
    await expect(admin.getByTestId("signup-row").first()).toContainText("m50@example.org");
    await admin.getByRole("link", { name: "← Previous" }).click();
    await expect(admin.getByTestId("signup-row")).toHaveCount(50);

    // Find one person among them and remove them.
    await admin.getByLabel("Find a volunteer").fill("marcher 7");
    await admin.getByRole("button", { name: "Search" }).click();
    await ready(admin);
    await expect(admin.getByTestId("signup-row")).toHaveCount(1);
    await admin.getByTestId("signup-row").getByRole("button", { name: "Remove" }).click();
    await admin.getByRole("button", { name: "Confirm removal" }).click();
    await expect(admin.getByText("Nobody signed up matches this search.")).toBeVisible();
    await expect(admin.getByTestId("shift-summary")).toContainText("51/60 signed up");
    await admin.getByRole("link", { name: "Show everyone" }).click();
    await expect(admin.getByTestId("signup-row")).toHaveCount(50);

    // Emailing them all says to how many, and empties the form once queued.
    await ready(admin);
    await admin.getByLabel("Subject").fill("Meeting point moved");
    // No message: refused, and the error is read with the field.
    await admin.getByRole("button", { name: "Send to 51 volunteers" }).click();
    await expect(admin.getByTestId("error-body")).toHaveText("Write the message.");
    await expect(admin.getByLabel("Message")).toHaveAccessibleDescription("Write the message.");
    await admin.getByLabel("Message").fill("We meet at the north gate.");
    // Nobody waits: the waitlist alone is nobody to send to.
    await admin.getByLabel("Send to").selectOption({ label: "Only the waitlist (0)" });
    await expect(admin.getByRole("button", { name: "Send to 0 volunteers" })).toBeDisabled();
    await admin.getByLabel("Send to").selectOption({ label: "Only those signed up (51)" });
    await admin.getByRole("button", { name: "Send to 51 volunteers" }).click();
    await expect(admin.getByTestId("email-result")).toHaveText("Queued 51 emails: see the email queue.");
    await expect(admin.getByLabel("Subject")).toHaveValue("");

    // On a phone at the shift: name, email and status fit the screen, with nothing to scroll sideways.
    await admin.setViewportSize({ width: 390, height: 844 });
    const row = admin.getByTestId("signup-row").first();
    await expect(row).toContainText("m0@example.org");
    const remove = await row.getByRole("button", { name: "Remove" }).boundingBox();
    expect(remove!.x + remove!.width).toBeLessThanOrEqual(390);
    await expect(admin.getByRole("columnheader", { name: "Email" })).toBeHidden();
    const overflow = await admin.evaluate(() => {
      const table = document.querySelector("table")!.parentElement!;
      return table.scrollWidth - table.clientWidth;
    });
    expect(overflow).toBe(0);
  });

  // Last, as its 56 shifts push the others' onto a second page of the list.
  test("shifts ticked on one page of the list stay ticked on the next", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/shifts");
    await ready(admin);
    await admin.getByLabel("Title", { exact: true }).fill("Daily round");
    await admin.getByLabel("Date").fill(tomorrow());
    await admin.getByLabel("Starts").fill("07:00");
    await admin.getByLabel("Ends").fill("08:00");
    await admin.getByLabel("Capacity").fill("3");
    for (const day of ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]) {
      await admin.getByLabel(day, { exact: true }).check();
    }
    await admin.getByLabel("For how many weeks (1–12)").fill("8");
    await admin.getByRole("button", { name: "Create shift" }).click();
    await expect(admin.getByTestId("create-result")).toHaveText("Created 56 shifts of “Daily round”.");

    const volunteer = await (await browser.newContext()).newPage();
    await volunteer.goto(`${server.baseURL}/shifts`);
    await ready(volunteer);
    // Nothing ticked: the pages are plain links.
    await expect(volunteer.getByRole("link", { name: "Later →" })).toBeVisible();
    const round = volunteer.getByTestId("public-shift").filter({ hasText: "Daily round" });
    const firstPick = await round.first().locator("a").getAttribute("href");
    await round.first().getByLabel("Choose").check();
    await expect(volunteer.getByRole("link", { name: "Later →" })).toBeHidden();
    await volunteer.getByRole("button", { name: "Later →" }).click();

    await expect(volunteer).toHaveURL(/\/shifts\?id=.+&page=2$/);
    await ready(volunteer);
    await expect(volunteer.getByTestId("ticked-elsewhere")).toContainText("Also ticked on other pages: 1 shift.");
    await expect(volunteer.getByTestId("choose-bar")).toBeVisible();
    const secondPick = await round.last().locator("a").getAttribute("href");
    await round.last().getByLabel("Choose").check();
    // Back on the first page, its tick is still there.
    await volunteer.getByRole("button", { name: "← Sooner" }).click();
    await expect(volunteer).toHaveURL(/page=1$/);
    await expect(round.first().getByLabel("Choose")).toBeChecked();
    await volunteer.getByRole("button", { name: "Sign up for the ticked shifts" }).click();

    await expect(volunteer).toHaveURL(/\/shifts\/chosen\?/);
    await ready(volunteer);
    const chosen = volunteer.getByTestId("chosen-shift");
    await expect(chosen).toHaveCount(2);
    const titleLink = (shift: Locator) => shift.locator("a", { hasNotText: "Leave out" });
    await expect(titleLink(chosen.first())).toHaveAttribute("href", firstPick!);
    await expect(titleLink(chosen.last())).toHaveAttribute("href", secondPick!);
  });

  test("an admin plans an overnight shift, which ends the next morning", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/shifts");
    await ready(admin);
    await admin.getByLabel("Title", { exact: true }).fill("Night shelter");
    await admin.getByLabel("Date").fill(tomorrow());
    await admin.getByLabel("Starts").fill("22:00");
    await admin.getByLabel("Ends").fill("06:00");
    await admin.getByLabel("Capacity").fill("2");
    // Without the box, an end before the start is refused with the hint.
    await admin.getByRole("button", { name: "Create shift" }).click();
    await expect(admin.getByText('If it goes past midnight, tick "Overnight".')).toBeVisible();
    await admin.getByLabel("Overnight (finishes the next day)").check();
    await admin.getByRole("button", { name: "Create shift" }).click();
    await expect(admin.getByTestId("create-result")).toHaveText("Created “Night shelter”.");
    const row = admin.getByTestId("admin-shift").filter({ hasText: "Night shelter" });
    // In the organisation's time zone (set by a test before), ending the next morning.
    const overnight = /22:00–06:00 [A-Z]+ \(ends next day\)/;
    await expect(row).toContainText(overnight);

    // Volunteers read the same on its public page.
    const href = (await row.getByRole("link", { name: "Night shelter" }).getAttribute("href"))!;
    const volunteer = await (await browser.newContext()).newPage();
    await volunteer.goto(`${server.baseURL}${href.replace("/admin", "")}`);
    await expect(volunteer.getByText(overnight)).toBeVisible();
  });
});

// A server of its own: it sets up SMTP, which the tests above run without.
test.describe.serial("emails about a sign-up", () => {
  let server: RunningServer;
  let smtp: FakeSmtp;

  test.beforeAll(async ({ browser }) => {
    server = await startWithAdmin(browser);
    smtp = await startFakeSmtp();
    const admin = await browser.newPage();
    await configureSmtp(admin, server, smtp.port);
    await admin.close();
  });

  test.afterAll(async () => {
    await smtp.stop();
    await server.stop();
  });

  test("an organiser resends a volunteer's email, and a volunteer who lost it gets new links", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/shifts");
    await createShift(admin, "Food drive", 3);

    const volunteer = await (await browser.newContext()).newPage();
    await signUp(volunteer, server, "Food drive", 31);
    const oldLink = (await volunteer.getByTestId("cancel-link").getAttribute("href"))!;

    // The volunteer phones: the email never came. The organiser sends it again.
    await admin.getByRole("link", { name: "Food drive" }).click();
    await ready(admin);
    const row = admin.getByTestId("signup-row").filter({ hasText: "v31@example.org" });
    await row.getByRole("button", { name: "Resend email" }).click();
    await expect(admin.getByTestId("resend-result")).toHaveText(
      "Emailed v31@example.org their confirmation again, with a new cancel link.",
    );
    await expect
      .poll(() => smtp.received.filter((m) => m.to.includes("v31@example.org") && m.text.includes("Thank you for signing up")).length, {
        timeout: 30_000,
      })
      .toBe(2);

    // Later, the email lost: the list offers the links again.
    await volunteer.goto(`${server.baseURL}/shifts`);
    await volunteer.getByRole("link", { name: "Get your links again" }).click();
    await expect(volunteer).toHaveURL(/\/shifts\/links$/);
    await ready(volunteer);
    await volunteer.getByLabel("Email").fill("v31@example.org");
    await volunteer.getByRole("button", { name: "Email me my links" }).click();
    await expect(volunteer.getByTestId("links-sent")).toContainText("we have emailed it a new link to cancel each one");

    const link = await emailedLink(smtp, "v31@example.org", "You asked for the links", "/shifts/cancel?token=");

    // The old link no longer works, and says where to get a new one.
    await volunteer.goto(oldLink);
    await ready(volunteer);
    await expect(volunteer.getByTestId("load-error")).toContainText("not valid");
    await expect(volunteer.getByRole("link", { name: "Get your links again" })).toBeVisible();
    // The new one cancels.
    await volunteer.goto(`${server.baseURL}${link}`);
    await ready(volunteer);
    await expect(volunteer.getByTestId("cancel-what")).toContainText("Food drive");
    await volunteer.getByRole("button", { name: "Yes, cancel my sign-up" }).click();
    await expect(volunteer.getByTestId("cancel-result")).toContainText("cancelled");
    await expect(admin.getByTestId("shift-summary")).toContainText("0/3 signed up");
  });

  test("an organiser moves a volunteer to another shift, and the volunteer is emailed its link", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/shifts");
    await createShift(admin, "Morning sorting", 2);
    await createShift(admin, "Evening sorting", 2, "Warehouse");

    const volunteer = await (await browser.newContext()).newPage();
    await signUp(volunteer, server, "Morning sorting", 32);

    // The volunteer phones: mornings are no good any more. The organiser moves them.
    await admin.getByRole("link", { name: "Morning sorting" }).click();
    await ready(admin);
    await admin.getByTestId("signup-row").filter({ hasText: "v32@example.org" }).getByRole("button", { name: "Move", exact: true }).click();
    // The choice starts on the day picked: nothing after tomorrow, then tomorrow's again.
    const from = admin.getByTestId("move-row").getByLabel("Shifts from");
    await from.fill(new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10));
    await expect(admin.getByTestId("move-none")).toContainText("No other shift from that day on takes sign-ups.");
    await from.fill(tomorrow());
    const choice = admin.getByTestId("move-row").getByLabel("Move Volunteer 32 to");
    const evening = await choice.locator("option", { hasText: "Evening sorting" }).getAttribute("value");
    await choice.selectOption(evening!);
    expect(await violations(admin), "the move's choice").toEqual([]);
    await admin.getByTestId("move-row").getByRole("button", { name: "Move", exact: true }).click();
    await expect(admin.getByTestId("move-result")).toContainText("Moved Volunteer 32 to Evening sorting");
    await expect(admin.getByTestId("move-result")).toContainText("signed up. They were emailed the details.");
    await expect(admin.getByTestId("shift-summary")).toContainText("0/2 signed up");
    await expect(admin.getByTestId("move-row")).toHaveCount(0);

    // The volunteer's email names both shifts and carries the new shift's cancel link.
    const link = await emailedLink(smtp, "v32@example.org", "An organiser moved your sign-up", "/shifts/cancel?token=");
    await volunteer.goto(`${server.baseURL}${link}`);
    await ready(volunteer);
    await expect(volunteer.getByTestId("cancel-what")).toContainText("Evening sorting");

    // The evening's page lists them, added by an organiser.
    await admin.goto(`${server.baseURL}/admin/shifts`);
    await admin.getByRole("link", { name: "Evening sorting" }).click();
    await ready(admin);
    await expect(admin.getByTestId("shift-summary")).toContainText("1/2 signed up");
    await expect(admin.getByTestId("signup-row").filter({ hasText: "v32@example.org" })).toContainText("Added by an organiser");
  });
});
