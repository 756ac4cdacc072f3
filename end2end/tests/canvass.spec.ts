import { expect } from "@playwright/test";
import { ADMIN, expectFitsPhone, ready, signIn, startWithAdmin, test, violations } from "./helpers";
import { RunningServer } from "./server";

test.describe.serial("canvassing", () => {
  let server: RunningServer;

  test.beforeAll(async ({ browser }) => {
    server = await startWithAdmin(browser);
  });

  test.afterAll(async () => {
    await server.stop();
  });

  test("an organiser lists addresses; a canvasser walks a session door by door; the organiser reads the results", async ({
    browser,
  }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/canvass");
    await expect(admin.getByTestId("addresses-empty")).toHaveText("No addresses yet. Add the ones to knock on below.");
    await expect(admin.getByTestId("sessions-empty")).toBeVisible();
    // A wrong line adds nothing and is named.
    await admin.getByLabel("Addresses", { exact: true }).fill("12 High St, Springfield, K1A 0B1\nsomewhere");
    await admin.getByRole("button", { name: "Add addresses" }).click();
    await expect(admin.getByTestId("error-lines")).toContainText("Line 2: give the street, the city and the postal code");
    await expect(admin.getByTestId("addresses-empty")).toBeVisible();
    await admin.getByLabel("Addresses", { exact: true }).fill("12 High St, Springfield, K1A 0B1\n3 Low Rd, Springfield, K1A 0B2");
    await admin.getByRole("button", { name: "Add addresses" }).click();
    await expect(admin.getByTestId("addresses-added")).toHaveText("Added 2 addresses; 0 already on the list.");
    await expect(admin.getByTestId("address-row")).toHaveCount(2);

    // The canvasser's page: start, record each door, end.
    const walker = await browser.newPage();
    await signIn(walker, server, "/admin");
    await walker.goto(`${server.baseURL}/canvass`);
    await ready(walker);
    await walker.getByRole("button", { name: "Start canvassing" }).click();
    await expect(walker.getByTestId("session-counts")).toContainText("0 doors knocked, 0 conversations.");
    // The organiser's open page shows the canvasser out, without a reload.
    await expect(admin.getByTestId("session-row")).toContainText("Still out");
    const doors = walker.getByTestId("door");
    await expect(doors).toHaveCount(2);
    const first = doors.first();
    await expect(first).toContainText("12 High St, Springfield K1A 0B1");
    // No outcome chosen: said under that door's form.
    await first.getByRole("button", { name: "Save visit" }).click();
    await expect(first.getByTestId("error-outcome")).toHaveText("Choose what happened at the door.");
    await expect(first.getByLabel("What happened")).toHaveAccessibleDescription("Choose what happened at the door.");
    await first.getByLabel("What happened").selectOption("SUPPORTER");
    await first.getByLabel("Name").fill("Sam Green");
    await first.getByLabel("Email").fill("sam@example.org");
    await first.getByLabel("Notes (optional)").fill("Wants a lawn sign");
    await first.getByRole("button", { name: "Save visit" }).click();
    await expect(walker.getByTestId("session-counts")).toContainText("1 door knocked, 1 conversation.");
    await expect(doors).toHaveCount(1);
    // The next door's form is empty: nothing typed at the last door carries over to it.
    for (const field of ["What happened", "Notes (optional)", "Name", "Email"]) {
      await expect(doors.first().getByLabel(field), field).toHaveValue("");
    }
    // The session names its last visit; one where someone left their details stays.
    await expect(walker.getByTestId("last-visit")).toHaveText("Last recorded: Supporter at 12 High St.");
    await expect(walker.getByText("Someone left their details there: an organiser can correct it.")).toBeVisible();
    // The wrong outcome at the next door, taken back: the counts, the door and its form again.
    await doors.first().getByLabel("What happened").selectOption("OPPOSED");
    await doors.first().getByRole("button", { name: "Save visit" }).click();
    await expect(walker.getByTestId("session-counts")).toContainText("2 doors knocked, 2 conversations.");
    await expect(walker.getByTestId("last-visit")).toHaveText("Last recorded: Opposed at 3 Low Rd.");
    await walker.getByRole("button", { name: "Undo the visit to 3 Low Rd" }).click();
    await expect(walker.getByTestId("session-counts")).toContainText("1 door knocked, 1 conversation.");
    await expect(walker.getByTestId("last-visit")).toHaveText("Last recorded: Supporter at 12 High St.");
    await expect(doors).toHaveCount(1);
    await expect(doors.first()).toContainText("3 Low Rd, Springfield K1A 0B2");
    await expect(doors.first()).toContainText("Last time: Not visited yet");
    expect(await violations(walker)).toEqual([]);
    await doors.first().getByLabel("What happened").selectOption("NOT_HOME");
    await doors.first().getByRole("button", { name: "Save visit" }).click();
    await expect(walker.getByTestId("walk-empty")).toContainText("You have visited every address on the list.");
    await walker.getByRole("button", { name: "End session" }).click();
    await expect(walker.getByTestId("session-ended")).toHaveText("Session ended: 2 doors knocked, 1 conversation. Thank you!");
    await expect(walker.getByRole("button", { name: "Start canvassing" })).toBeVisible();

    // The organiser sees the session, the outcomes, and who left their details — live.
    await expect(admin.getByTestId("session-row")).not.toContainText("Still out");
    await expect(admin.getByTestId("session-row")).toContainText("Ana Admin");
    const cells = admin.getByTestId("session-row").locator("td");
    await expect(cells.nth(3)).toHaveText("2");
    await expect(cells.nth(4)).toHaveText("1");
    await expect(admin.getByTestId("address-row").first()).toContainText("Supporter");
    // On a phone both lists fit: when a session ran is under the canvasser, the city and postal
    // code under the street.
    await expectFitsPhone(admin, "the canvassing", async () => {
      await expect(admin.getByTestId("session-row")).toContainText(/Ana Admin\n.* – .*\s+2\s+1/, { useInnerText: true });
      await expect(admin.getByTestId("address-row").first()).toContainText(
        /12 High St\nSpringfield K1A 0B1 · supporter's details\s+Supporter/,
        { useInnerText: true },
      );
      // Nobody left their details at the second door.
      await expect(admin.getByTestId("address-row").nth(1)).toContainText(/3 Low Rd\nSpringfield K1A 0B2\s+Not home/, { useInnerText: true });
    });
    await admin.getByRole("link", { name: "12 High St" }).click();
    await expect(admin.getByTestId("visit-row")).toContainText("Wants a lawn sign");
    await expectFitsPhone(admin, "an address's visits", async () => {
      await expect(admin.getByTestId("visit-row")).toContainText(/\nAna Admin · Supporter\s+Wants a lawn sign\s+Sam Green/, { useInnerText: true });
    });

    // Corrected from its page, twice from one form; a colleague's correction made while the form
    // is open refuses its next save, which would put the old postal code back.
    await ready(admin);
    const street = admin.getByLabel("Street", { exact: true });
    await street.fill("12 High Street");
    await admin.getByRole("button", { name: "Save address" }).click();
    await expect(admin.getByRole("heading", { level: 1 })).toHaveText("12 High Street");
    await admin.getByLabel("City", { exact: true }).fill("Springfield East");
    await admin.getByRole("button", { name: "Save address" }).click();
    await expect(admin.getByText("Springfield East K1A 0B1")).toBeVisible();
    const colleague = await browser.newPage({ storageState: await admin.context().storageState() });
    await colleague.goto(admin.url());
    await ready(colleague);
    await colleague.getByLabel("Postal code", { exact: true }).fill("K1A 0B9");
    await colleague.getByRole("button", { name: "Save address" }).click();
    await expect(colleague.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
    await colleague.close();
    await street.fill("12 High St");
    await admin.getByRole("button", { name: "Save address" }).click();
    await expect(admin.getByText(/Someone else saved changes to this address/)).toBeVisible();
    await admin.reload();
    await expect(admin.getByRole("heading", { level: 1 })).toHaveText("12 High Street");
    await expect(admin.getByLabel("Postal code", { exact: true })).toHaveValue("K1A 0B9");

    await admin.getByTestId("visit-row").getByRole("link", { name: "Sam Green" }).click();
    await expect(admin.getByRole("heading", { name: "Sam Green" })).toBeVisible();
  });

  test("an organiser makes a turf; a canvasser on it sees only its doors; the organiser follows its round and deletes it once nobody walks it", async ({
    browser,
  }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/canvass");
    await expect(admin.getByTestId("turfs-empty")).toHaveText("No turfs yet: canvassers walk the whole list.");
    await admin.getByLabel("Addresses", { exact: true }).fill("20 High St, Springfield, K1A 0B3");
    await admin.getByRole("button", { name: "Add addresses" }).click();
    await expect(admin.getByTestId("addresses-added")).toHaveText("Added 1 address; 0 already on the list.");
    // No areas: said under the field, nothing made.
    await admin.getByLabel("Turf name").fill("High Street");
    await admin.getByRole("button", { name: "Make turf" }).click();
    await expect(admin.getByTestId("error-form[areas]")).toContainText("Enter at least one street or postal code");
    await expect(admin.getByTestId("turfs-empty")).toBeVisible();
    await admin.getByLabel("Streets or postal codes, one a line").fill("high st");
    await admin.getByRole("button", { name: "Make turf" }).click();
    await expect(admin.getByTestId("turf-saved")).toHaveText('Turf "High Street" made: 2 addresses.');
    await expect(admin.getByTestId("turf-row")).toContainText("2 addresses, 0 done, 2 to knock on");

    // The canvasser chooses it: only its two doors, Low Rd left out.
    const walker = await browser.newPage();
    await signIn(walker, server, "/admin");
    await walker.goto(`${server.baseURL}/canvass`);
    await ready(walker);
    await walker.getByLabel("Turf").selectOption({ label: "High Street (2 to knock on)" });
    await walker.getByRole("button", { name: "Start canvassing" }).click();
    await expect(walker.getByTestId("session-counts")).toContainText("on High Street: 0 doors knocked");
    const doors = walker.getByTestId("door");
    await expect(doors).toHaveCount(2);
    await expect(walker.getByText("3 Low Rd")).toHaveCount(0);
    // In walking order (by postal code), with the notes the last canvasser left at the door.
    await expect(doors.first()).toContainText("20 High St");
    await expect(doors.nth(1).getByTestId("door-notes")).toHaveText("Notes left: Wants a lawn sign");
    await expect(doors.first().getByTestId("door-notes")).toHaveCount(0);
    await doors.first().getByLabel("What happened").selectOption("UNDECIDED");
    await doors.first().getByRole("button", { name: "Save visit" }).click();
    await expect(doors).toHaveCount(1);
    // The organiser's open page follows the round and shows who is out on it, without a reload.
    await expect(admin.getByTestId("turf-row")).toContainText("2 addresses, 1 done, 1 to knock on");
    await expect(admin.getByTestId("session-row").first()).toContainText("on High Street");
    expect(await violations(admin), "the canvassing page with a turf").toEqual([]);
    await expectFitsPhone(admin, "the turfs");

    // Its page: its addresses, and no deleting while someone walks it.
    await admin.getByRole("link", { name: "High Street", exact: true }).click();
    await expect(admin).toHaveURL(/\/admin\/canvass\/turfs\/[^/]+$/);
    const turfPage = admin.url();
    await expect(admin.getByTestId("turf-progress")).toContainText("2 addresses, 1 done, 1 to knock on; 1 canvasser out now");
    await ready(admin);
    expect(await violations(admin), "a turf's page").toEqual([]);
    admin.once("dialog", (dialog) => dialog.accept());
    await admin.getByRole("button", { name: "Delete turf" }).click();
    await expect(admin.getByText("Someone is canvassing this turf now.")).toBeVisible();
    await admin.getByRole("link", { name: "Its addresses" }).click();
    await expect(admin.getByTestId("turf-filter")).toContainText("In the turf High Street.");
    await expect(admin.getByTestId("address-row")).toHaveCount(2);
    // How its doors stand; one outcome's doors, to go back to.
    const results = admin.getByRole("navigation", { name: "Last outcome" });
    await expect(results).toContainText("Any outcome: 2");
    await expect(results).toContainText("Supporter: 1");
    await expect(results).toContainText("Not visited yet: 0");
    await results.getByRole("link", { name: "Undecided: 1" }).click();
    await expect(results.getByRole("link", { name: "Undecided: 1" })).toHaveAttribute("aria-current", "page");
    await expect(admin.getByTestId("address-row")).toHaveCount(1);
    await expect(admin.getByTestId("address-row")).toContainText("Undecided");
    // Those doors as CSV, to call back.
    const csvLink = admin.getByRole("link", { name: "Download CSV" });
    await expect(csvLink).toHaveAttribute("href", /^\/api\/canvass\/addresses\.csv\?search=&turf=[^&]+&outcome=UNDECIDED$/);
    const csv = await admin.request.get(`${server.baseURL}${await csvLink.getAttribute("href")}`);
    expect((await csv.text()).split("\n").filter((line) => line !== "")).toEqual([
      "street,city,postal_code,last_outcome,last_visited,last_notes,left_details",
      expect.stringMatching(/^"20 High St","Springfield","K1A 0B3","Undecided",/),
    ]);
    expect(await violations(admin), "the address list narrowed to a turf and an outcome").toEqual([]);
    await admin.goto(turfPage);

    // A door not on the list, found on the turf: one off it is refused under its field; one on
    // it joins the walk.
    await walker.getByText("A door that is not on the list?").click();
    await walker.getByLabel("Street", { exact: true }).fill("5 Low Rd");
    await walker.getByLabel("City", { exact: true }).fill("Springfield");
    await walker.getByLabel("Postal code", { exact: true }).fill("K1A 0B3");
    await walker.getByRole("button", { name: "Add door" }).click();
    await expect(walker.getByTestId("error-form[street]")).toContainText("This address is not on your turf (high st).");
    expect(await violations(walker), "the canvassing page with a refused door").toEqual([]);
    await walker.getByLabel("Street", { exact: true }).fill("22 High St");
    await walker.getByRole("button", { name: "Add door" }).click();
    await expect(walker.getByTestId("door-added")).toHaveText("Added 22 High St: it is in the list below.");
    await expect(doors).toHaveCount(2);
    await expect(doors.first()).toContainText("22 High St");
    await admin.reload();
    await expect(admin.getByTestId("turf-progress")).toContainText("3 addresses, 1 done, 2 to knock on");

    await walker.getByRole("button", { name: "End session" }).click();
    await expect(walker.getByTestId("session-ended")).toContainText("1 door knocked");
    await expect(walker.getByTestId("door-added")).toHaveText("");
    await ready(admin);
    admin.once("dialog", (dialog) => dialog.accept());
    await admin.getByRole("button", { name: "Delete turf" }).click();
    await expect(admin).toHaveURL(/\/admin\/canvass$/);
    await expect(admin.getByTestId("turfs-empty")).toBeVisible();

    // The dashboard's last seven days count both tests' doors, linking to this page.
    await admin.goto(`${server.baseURL}/admin`);
    const week = admin.getByTestId("last-week");
    await expect(week.getByRole("link", { name: "3 doors knocked, 2 conversations" })).toHaveAttribute("href", "/admin/canvass");
  });

  test("an organiser asks a canvasser to walk a turf; it comes first on their page until they are taken off", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/canvass");
    await admin.getByLabel("Turf name").fill("Mill Lane");
    await admin.getByLabel("Streets or postal codes, one a line").fill("Mill Lane");
    await admin.getByRole("button", { name: "Make turf" }).click();
    await expect(admin.getByTestId("turf-saved")).toContainText('Turf "Mill Lane" made');
    await admin.getByRole("link", { name: "Mill Lane", exact: true }).click();
    await expect(admin.getByTestId("assigned-none")).toBeVisible();
    await ready(admin);

    // An email no account has: said under the field.
    const email = admin.getByLabel("Their account's email");
    await email.fill("nobody@example.org");
    await admin.getByRole("button", { name: "Ask them" }).click();
    await expect(admin.getByTestId("error-email")).toContainText("No active account has this email");
    await email.fill(ADMIN.email);
    await admin.getByRole("button", { name: "Ask them" }).click();
    await expect(admin.getByTestId("assigned")).toHaveText(/Ana Admin \(ana@example\.org\)/);
    await expect(email).toHaveValue("");
    expect(await violations(admin), "a turf with its canvassers").toEqual([]);

    // Their page says so, and starts on it unless they choose another.
    const walker = await browser.newPage();
    await signIn(walker, server, "/admin");
    await walker.goto(`${server.baseURL}/canvass`);
    await expect(walker.getByTestId("turfs-yours")).toHaveText("An organiser asked you to canvass Mill Lane.");
    await expect(walker.getByLabel("Turf").locator("option:checked")).toHaveText(/^Mill Lane \(/);
    expect(await violations(walker), "the canvassing page with a turf asked of them").toEqual([]);

    // Taken off after a confirmation: no longer first for them.
    admin.once("dialog", (dialog) => {
      expect(dialog.message()).toBe("Take Ana Admin off Mill Lane? It is then no longer first on their canvassing page, and they are emailed.");
      dialog.accept();
    });
    await admin.getByRole("button", { name: "Take Ana Admin off this turf" }).click();
    await expect(admin.getByTestId("assigned-none")).toBeVisible();
    await walker.reload();
    await expect(walker.getByRole("button", { name: "Start canvassing" })).toBeVisible();
    await expect(walker.getByTestId("turfs-yours")).toHaveCount(0);
    await expect(walker.getByLabel("Turf").locator("option:checked")).toHaveText("The whole list");
  });

  test("an organiser adds a city's address list from a file, followed by a progress bar", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/canvass");
    await ready(admin);
    const before = Number((await admin.getByTestId("addresses-count").textContent())!.replace(/\D/g, ""));
    const file = admin.getByLabel(/^Or choose a file of them/);
    const lines = Array.from({ length: 1_200 }, (_, n) => `${n} Elm St, Springfield, E1 ${n}`);
    // A wrong line anywhere in it adds nothing, and is named.
    admin.once("dialog", (dialog) => dialog.accept());
    const wrong = [...lines.slice(0, 999), "Elm St without a town", ...lines.slice(1_000)];
    await file.setInputFiles({ name: "elm.txt", mimeType: "text/plain", buffer: Buffer.from(wrong.join("\n")) });
    await expect(admin.getByTestId("address-file-error")).toContainText("Line 1000: give the street, the city and the postal code");
    await expect(admin.getByTestId("addresses-count")).toHaveText(`${before} addresses`);

    // The list saved from a spreadsheet (its column names first, a street with a comma in
    // quotes), after a confirmation that counts it: a progress bar, then what was added.
    let asked = "";
    admin.once("dialog", (dialog) => {
      asked = dialog.message();
      dialog.accept();
    });
    const saved = ["Street,City,Postal code", '"Flat 1, 0 Elm St",Springfield,E1 0', ...lines.slice(1)].join("\r\n");
    await file.setInputFiles({ name: "elm.csv", mimeType: "text/csv", buffer: Buffer.from(saved) });
    await expect(admin.getByTestId("job-summary")).toHaveText("Added 1,200 addresses; 0 already on the list.");
    expect(asked).toBe("Add the 1,200 addresses of this file? Those already on the list are not added twice.");
    await expect(admin.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "100");
    await expect(admin.getByTestId("address-file-error")).toHaveText("");
    await expect(admin.getByTestId("addresses-count")).toHaveText(`${(before + 1_200).toLocaleString("en")} addresses`);
    expect(await violations(admin), "an address file added").toEqual([]);
  });
});
