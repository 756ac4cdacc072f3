import { expect } from "@playwright/test";
import { expectFitsPhone, ready, signIn, startWithAdmin, test } from "./helpers";
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
});
