import { expect } from "@playwright/test";
import { ADMIN, configureSmtp, ready, signIn, startWithAdmin, test, violations } from "./helpers";
import { emailedLink, startFakeSmtp } from "./fake-smtp";
import { RunningServer } from "./server";

test.describe.serial("users", () => {
  let server: RunningServer;

  test.beforeAll(async ({ browser }) => {
    server = await startWithAdmin(browser);
  });

  test.afterAll(async () => {
    await server.stop();
  });

  test("a registration waits for approval; once approved the volunteer signs in, and can delete the account", async ({ browser }) => {
    const volunteer = await (await browser.newContext()).newPage();
    await volunteer.goto(`${server.baseURL}/register`);
    await ready(volunteer);
    await volunteer.getByLabel("Your name").fill("Vic Volunteer");
    await volunteer.getByLabel("Email").fill("vic@example.org");
    await volunteer.getByLabel("Password (at least 12 characters)").fill("a long enough password");
    await volunteer.getByLabel("Repeat the password").fill("not the same password");
    await volunteer.getByRole("button", { name: "Ask for an account" }).click();
    await expect(volunteer.getByTestId("error-form[password_again]")).toHaveText("The passwords do not match.");
    await volunteer.getByLabel("Repeat the password").fill("a long enough password");
    await volunteer.getByRole("button", { name: "Ask for an account" }).click();
    await expect(volunteer.getByTestId("registered")).toContainText("once your account is approved");

    const signInAsVic = async () => {
      await volunteer.goto(`${server.baseURL}/login`);
      await ready(volunteer);
      await volunteer.getByLabel("Email").fill("vic@example.org");
      await volunteer.getByLabel("Password").fill("a long enough password");
      await volunteer.getByRole("button", { name: "Sign in" }).click();
    };
    await signInAsVic();
    await expect(volunteer.getByText("This account is waiting for an administrator's approval.")).toBeVisible();

    const admin = await browser.newPage();
    // The dashboard says a request waits, and leads to it.
    await signIn(admin, server, "/admin");
    await admin.getByTestId("needs-attention").getByRole("link", { name: "1 account request waiting for approval" }).click();
    await expect(admin).toHaveURL(`${server.baseURL}/admin/users?status=PENDING`);
    await ready(admin);
    await expect(admin.getByTestId("pending-count")).toHaveText("1 waiting for approval");
    const row = admin.getByTestId("user-row").filter({ hasText: "vic@example.org" });
    await expect(row).toContainText("Waiting for approval");
    await row.getByRole("button", { name: "Approve" }).click();
    // Approved, it leaves the list of those waiting.
    await expect(row).toHaveCount(0);
    await expect(admin.getByTestId("pending-count")).toHaveCount(0);
    await admin.goto(`${server.baseURL}/admin/users`);
    await expect(row).toContainText("Active");

    await signInAsVic();
    await expect(volunteer).toHaveURL(`${server.baseURL}/`);

    // Vic deletes the account again, from My shifts: the password first, then signed out.
    await volunteer.goto(`${server.baseURL}/my/shifts`);
    await volunteer.getByRole("link", { name: "Your account" }).click();
    await expect(volunteer.getByRole("heading", { name: "Your account" })).toBeVisible();
    await ready(volunteer);
    await volunteer.getByText("Delete your account").click();
    await volunteer.getByLabel("Your password").fill("not my password at all");
    await volunteer.getByRole("button", { name: "Delete my account" }).click();
    await expect(volunteer.getByTestId("error-delete_password")).toHaveText("That is not your current password.");
    await volunteer.getByLabel("Your password").fill("a long enough password");
    await volunteer.getByRole("button", { name: "Delete my account" }).click();
    await expect(volunteer).toHaveURL(`${server.baseURL}/login?deleted=1`);
    await expect(volunteer.getByTestId("account-deleted")).toHaveText("Your account is deleted, and you are signed out.");
    await admin.goto(`${server.baseURL}/admin/users`);
    await ready(admin);
    await expect(admin.getByTestId("user-row").filter({ hasText: "Ana Admin" })).toHaveCount(1);
    await expect(row).toHaveCount(0);
  });

  test("the users page shows registrations as they come, and waits while an account is being edited", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/users");
    await ready(admin);
    const register = async (name: string, email: string) => {
      const visitor = await (await browser.newContext()).newPage();
      await visitor.goto(`${server.baseURL}/register`);
      await ready(visitor);
      await visitor.getByLabel("Your name").fill(name);
      await visitor.getByLabel("Email").fill(email);
      await visitor.getByLabel("Password (at least 12 characters)").fill("a long enough password");
      await visitor.getByLabel("Repeat the password").fill("a long enough password");
      await visitor.getByRole("button", { name: "Ask for an account" }).click();
      await expect(visitor.getByTestId("registered")).toBeVisible();
    };
    await register("Wren Waiting", "wren@example.org");
    await expect(admin.getByTestId("user-row").filter({ hasText: "wren@example.org" })).toContainText("Waiting for approval");

    // With an account's form open, the next registration waits behind a notice; what is
    // typed stays. Closing the form shows it.
    const anaRow = admin.getByTestId("user-row").filter({ hasText: "ana@example.org" });
    await anaRow.getByRole("button", { name: "Edit" }).click();
    await anaRow.getByLabel("Name").fill("Ana Still Typing");
    await register("Xan Waiting", "xan@example.org");
    await expect(admin.getByTestId("users-changed")).toBeVisible();
    await expect(anaRow.getByLabel("Name")).toHaveValue("Ana Still Typing");
    await expect(admin.getByTestId("user-row").filter({ hasText: "xan@example.org" })).toHaveCount(0);
    await anaRow.getByRole("button", { name: "Close" }).click();
    await expect(admin.getByTestId("user-row").filter({ hasText: "xan@example.org" })).toContainText("Waiting for approval");
    await expect(admin.getByTestId("users-changed")).toHaveCount(0);
    await expect(anaRow).toContainText("Ana Admin");

    // Xan mistyped the email: the organiser corrects it in the account's form.
    const xanRow = admin.getByTestId("user-row").filter({ hasText: "Xan Waiting" });
    await xanRow.getByRole("button", { name: "Edit" }).click();
    await xanRow.getByLabel("Email").fill("ana@example.org");
    await xanRow.getByRole("button", { name: "Save" }).click();
    await expect(admin.getByText("An account with this email already exists.")).toBeVisible();
    await xanRow.getByLabel("Email").fill("xan.waiting@example.org");
    await xanRow.getByRole("button", { name: "Save" }).click();
    await expect(xanRow).toContainText("xan.waiting@example.org");

    // Another admin renames Xan while this page's form for Xan is open: its save, from the
    // form opened before, is refused and changes nothing, and keeps what was typed; closing
    // the form shows their name, and the form opened again saves on theirs.
    await xanRow.getByRole("button", { name: "Edit" }).click();
    const colleague = await browser.newPage({ storageState: await admin.context().storageState() });
    await colleague.goto(`${server.baseURL}/admin/users`);
    await ready(colleague);
    const theirRow = colleague.getByTestId("user-row").filter({ hasText: "xan.waiting@example.org" });
    await theirRow.getByRole("button", { name: "Edit" }).click();
    await theirRow.getByLabel("Name").fill("Xan Renamed");
    await theirRow.getByRole("button", { name: "Save" }).click();
    await expect(theirRow).toContainText("Xan Renamed");
    await colleague.close();
    await xanRow.getByLabel("Name").fill("Xan W.");
    await xanRow.getByRole("button", { name: "Save" }).click();
    await expect(admin.getByText(/Someone else saved changes to this account/)).toBeVisible();
    await expect(xanRow.getByLabel("Name")).toHaveValue("Xan W.");
    // Sent again, the same form is refused again: it still holds the count it was opened with.
    const again = admin.waitForResponse((r) => r.url().includes("/api/users/update"));
    await xanRow.getByRole("button", { name: "Save" }).click();
    expect((await again).status()).toBe(409);
    await expect(xanRow).toContainText("Xan Waiting");
    await xanRow.getByRole("button", { name: "Close" }).click();
    const renamed = admin.getByTestId("user-row").filter({ hasText: "xan.waiting@example.org" });
    await expect(renamed).toContainText("Xan Renamed");
    await renamed.getByRole("button", { name: "Edit" }).click();
    await expect(renamed.getByLabel("Name")).toHaveValue("Xan Renamed");
    await renamed.getByLabel("Role").selectOption("EVENTS_ADMIN");
    await renamed.getByRole("button", { name: "Save" }).click();
    await expect(renamed).toContainText("Events admin");
  });

  test("an organiser makes an account without a password, whose link to choose one waits for email", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/users");
    await ready(admin);
    await admin.getByLabel("Name", { exact: true }).fill("Noor");
    await admin.getByLabel("Email", { exact: true }).fill("noor@example.org");
    await admin.locator('select[name="form[role]"]').selectOption("ADMIN");
    await admin.getByRole("button", { name: "Create account" }).click();
    await expect(admin.getByRole("status").filter({ hasText: "Account created." })).toHaveText(
      "Account created. Email is not set up yet (Settings), so their link to choose a password waits until it is; the link works for a week from now.",
    );
    const row = admin.getByTestId("user-row").filter({ hasText: "noor@example.org" });
    await expect(row).toContainText("Active");
    // Another link could not arrive while email is not set up (the account's first one waits).
    await row.getByRole("button", { name: "Send password link" }).click();
    await expect(admin.getByRole("alert").filter({ hasText: "Email is not set up yet (Settings), so no link can be sent." })).toBeVisible();

    // The new account's email waits in the queue (no SMTP yet), and says nothing of its link.
    await admin.goto(`${server.baseURL}/admin/emails`);
    await expect(admin.getByRole("row").filter({ hasText: "noor@example.org" })).toHaveCount(1);
    await expect(admin.getByRole("cell", { name: "Your new account: choose a password", exact: true })).toBeVisible();
  });

  // Last: it changes the admin's email.
  test("with email set up, a new email takes effect through the link sent to it", async ({ browser }) => {
    const smtp = await startFakeSmtp();
    try {
      const admin = await browser.newPage();
      await configureSmtp(admin, server, smtp.port);

      // Now a password link can be sent, and arrives.
      await admin.goto(`${server.baseURL}/admin/users`);
      await ready(admin);
      await admin.getByTestId("user-row").filter({ hasText: "noor@example.org" }).getByRole("button", { name: "Send password link" }).click();
      await expect(admin.getByRole("status").filter({ hasText: "A link to choose a new password was emailed to noor@example.org." })).toBeVisible();
      expect(await emailedLink(smtp, "noor@example.org", "An organiser sent you this link", "/reset-password?token=")).toContain("token=");
      // A new account without a password: its link goes out at once, and the page says so.
      await admin.getByLabel("Name", { exact: true }).fill("Uma");
      await admin.getByLabel("Email", { exact: true }).fill("uma@example.org");
      await admin.getByRole("button", { name: "Create account" }).click();
      await expect(admin.getByRole("status").filter({ hasText: "Account created." })).toHaveText(
        "Account created. They were emailed a link to choose their password.",
      );
      expect(await emailedLink(smtp, "uma@example.org", "An organiser made you an account", "/reset-password?token=")).toContain("token=");

      await admin.goto(`${server.baseURL}/account`);
      await ready(admin);
      // A typo is called off before its link is opened.
      await admin.getByLabel("Email (you sign in with it)").fill("ana.nwe@example.org");
      await admin.getByLabel("Current password").fill(ADMIN.password);
      await admin.getByRole("button", { name: "Save" }).click();
      await expect(admin.getByTestId("pending-email")).toContainText("ana.nwe@example.org waits for you to confirm it");
      await admin.getByRole("button", { name: "Keep ana@example.org" }).click();
      await expect(admin.getByTestId("email-change-cancelled")).toHaveText(
        "You keep signing in with ana@example.org. The link we emailed no longer works.",
      );
      await expect(admin.getByTestId("pending-email")).toHaveCount(0);
      await expect(admin.getByTestId("account-result")).toHaveText("");

      await admin.getByLabel("Email (you sign in with it)").fill("ana.new@example.org");
      await admin.getByLabel("Current password").fill(ADMIN.password);
      await admin.getByRole("button", { name: "Save" }).click();
      await expect(admin.getByTestId("account-result")).toHaveText("Saved. We emailed a link to ana.new@example.org.");
      await expect(admin.getByLabel("Email (you sign in with it)")).toHaveValue(ADMIN.email);
      const waiting =
        "ana.new@example.org waits for you to confirm it: open the link we emailed there, within 24 hours, signed in as now. Until then, sign in with ana@example.org.";
      await expect(admin.getByTestId("pending-email")).toHaveText(waiting);
      // Still said when the page is opened again.
      await admin.reload();
      await expect(admin.getByTestId("pending-email")).toHaveText(waiting);

      const link = await emailedLink(smtp, "ana.new@example.org", "Confirm it here", "/account/confirm-email?token=");

      // Opened on another device, not signed in: first signed in with the old email, then
      // back at the link.
      const phone = await (await browser.newContext()).newPage();
      await phone.goto(`${server.baseURL}${link}`);
      await expect(phone).toHaveURL(/\/login\?next=/);
      await ready(phone);
      await phone.getByLabel("Email").fill(ADMIN.email);
      await phone.getByLabel("Password").fill(ADMIN.password);
      await phone.getByRole("button", { name: "Sign in" }).click();
      await expect(phone.getByText("Sign in with ana.new@example.org from now on?")).toBeVisible();
      await ready(phone);
      expect(await violations(phone), "the confirm page").toEqual([]);
      await phone.getByRole("button", { name: "Confirm my new email" }).click();
      await expect(phone.getByTestId("email-confirmed")).toHaveText("Done: you sign in with ana.new@example.org from now on.");
      // The link works once.
      await phone.reload();
      await expect(phone.getByTestId("email-link-invalid")).toBeVisible();

      const laptop = await (await browser.newContext()).newPage();
      await signIn(laptop, server, "/admin", { ...ADMIN, email: "ana.new@example.org" });
      await laptop.goto(`${server.baseURL}/account`);
      await expect(laptop.getByLabel("Email (you sign in with it)")).toHaveValue("ana.new@example.org");
      await expect(laptop.getByTestId("pending-email")).toHaveCount(0);
    } finally {
      await smtp.stop();
    }
  });
});
