import { expect, Page } from "@playwright/test";
import { signIn, test } from "./helpers";
import { RunningServer, startServer } from "./server";

const ADMIN = { name: "Ana Admin", email: "ana@example.org", password: "correct horse battery staple" };

// Waits until the page is hydrated, so clicks go through the app, not a plain form post.
async function ready(page: Page) {
  await expect(page.locator("body[data-hydrated]")).toBeAttached();
}

test.describe.serial("first run, sign in, admin shell, sign out", () => {
  let server: RunningServer;

  test.beforeAll(async () => {
    server = await startServer();
  });

  test.afterAll(async () => {
    await server.stop();
  });

  test("the one-time setup link creates the first administrator", async ({ page }) => {
    await page.goto(server.setupUrl);
    await ready(page);
    await expect(page.getByRole("heading", { name: "Set up Changemaker" })).toBeVisible();

    // Bad input gets field-level messages.
    await page.getByLabel("Organisation name").fill("Riverside Tenants");
    await page.getByLabel("Your name").fill(ADMIN.name);
    await page.getByLabel("Email").fill(ADMIN.email);
    await page.getByLabel("Password (at least 12 characters)").fill("short");
    await page.getByLabel("Repeat the password").fill("different");
    await page.getByRole("button", { name: "Create administrator" }).click();
    await expect(page.getByTestId("error-password")).toHaveText("Passwords need at least 12 characters.");
    await expect(page.getByTestId("error-password_confirm")).toHaveText("The two passwords do not match.");

    await page.getByLabel("Password (at least 12 characters)").fill(ADMIN.password);
    await page.getByLabel("Repeat the password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Create administrator" }).click();

    await expect(page).toHaveURL(/\/admin$/);
    await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
    await expect(page.getByTestId("signed-in-user")).toHaveText(ADMIN.name);

    // The link does not work a second time.
    await page.goto(server.setupUrl);
    await expect(page.getByRole("heading", { name: "Setup link not valid" })).toBeVisible();
  });

  test("a wrong password shows the error and does not sign in", async ({ page }) => {
    await page.goto(`${server.baseURL}/login`);
    await ready(page);
    await page.getByLabel("Email").fill(ADMIN.email);
    await page.getByLabel("Password").fill("not the right password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("error-password")).toHaveText("Email or password is wrong.");
    await expect(page).toHaveURL(/\/login$/);

    await page.goto(`${server.baseURL}/admin`);
    await expect(page).toHaveURL(/\/login\?next=\/admin$/);

    // Forgotten, it is changed by an emailed link; but this organisation sends no email yet, so
    // the page says no link can come (for any email, telling nothing of accounts).
    await ready(page);
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await ready(page);
    await page.getByLabel("Email").fill(ADMIN.email);
    await page.getByRole("button", { name: "Send me a link" }).click();
    await expect(page.getByTestId("form-error")).toHaveText(
      "This organisation does not send email yet, so no link can be sent. Ask an organiser for help.",
    );
    await expect(page.getByTestId("reset-sent")).toHaveCount(0);
  });

  test("sign in, see the admin shell, sign out", async ({ page }) => {
    await page.goto(`${server.baseURL}/admin`);
    await expect(page).toHaveURL(/\/login\?next=\/admin$/);
    await ready(page);
    await page.getByLabel("Email").fill(ADMIN.email);
    await page.getByLabel("Password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();

    await expect(page).toHaveURL(/\/admin$/);
    const nav = page.getByRole("navigation", { name: "Admin" });
    await expect(nav.getByRole("link", { name: "Dashboard" })).toHaveAttribute("aria-current", "page");
    await expect(page.getByTestId("signed-in-user")).toHaveText(ADMIN.name);
    await expect(page.getByText("Riverside Tenants — accounts")).toBeVisible();

    // Narrow screens keep the navigation (behind its menu button) and the sign-out button reachable.
    await page.setViewportSize({ width: 375, height: 700 });
    await page.locator("summary").filter({ hasText: "Menu" }).click();
    await expect(nav.getByRole("link", { name: "Dashboard" })).toBeVisible();
    await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/login$/);
    await page.goto(`${server.baseURL}/admin`);
    await expect(page).toHaveURL(/\/login\?next=\/admin$/);
  });

  test("the organisation is renamed and described in the settings, and the home page says so", async ({ page, browser }) => {
    await signIn(page, server, "/admin/settings");
    const name = page.getByLabel("Name", { exact: true });
    await expect(name).toHaveValue("Riverside Tenants");
    await name.fill(" ");
    await page.getByRole("button", { name: "Save organisation" }).click();
    await expect(page.getByTestId("error-organisation_name")).toHaveText("Enter your organisation's name.");

    await name.fill("Riverside Tenants Union");
    await page.getByLabel("Description (one line)").fill("Fair rents on the east bank");
    await page.getByRole("button", { name: "Save organisation" }).click();
    await expect(page.getByTestId("organisation-result")).toHaveText("Saved.");
    // An edit after the save is not saved, and no longer said to be.
    await page.getByLabel("Description (one line)").fill("Fair rents on the east bank.");
    await expect(page.getByTestId("organisation-result")).toHaveText("");
    await page.getByRole("button", { name: "Save organisation" }).click();
    await expect(page.getByTestId("organisation-result")).toHaveText("Saved.");
    // A colleague renames it while this page's form is open: this page's next save, from the
    // form opened before theirs, is refused and changes nothing; a reload shows their name.
    const colleague = await browser.newPage({ storageState: await page.context().storageState() });
    await colleague.goto(`${server.baseURL}/admin/settings`);
    await ready(colleague);
    await colleague.getByLabel("Name", { exact: true }).fill("Riverside Tenants' Union");
    await colleague.getByRole("button", { name: "Save organisation" }).click();
    await expect(colleague.getByTestId("organisation-result")).toHaveText("Saved.");
    await colleague.close();
    await page.getByLabel("Description (one line)").fill("Fair rents on both banks.");
    await page.getByRole("button", { name: "Save organisation" }).click();
    await expect(page.getByText(/Someone else saved the organisation's name and description/)).toBeVisible();
    await page.reload();
    await ready(page);
    await expect(name).toHaveValue("Riverside Tenants' Union");
    await expect(page.getByLabel("Description (one line)")).toHaveValue("Fair rents on the east bank.");
    // Made again on theirs, the change is saved.
    await name.fill("Riverside Tenants Union");
    await page.getByRole("button", { name: "Save organisation" }).click();
    await expect(page.getByTestId("organisation-result")).toHaveText("Saved.");

    // The public pages' titles are the organisation's, the admin pages' Changemaker's, as the
    // visitor moves between them in the page.
    await page.goto(`${server.baseURL}/shifts`);
    await ready(page);
    await expect(page).toHaveTitle("Volunteer shifts · Riverside Tenants Union");
    await page.getByTestId("organisation").click();
    await expect(page.getByRole("heading", { name: "Riverside Tenants Union" })).toBeVisible();
    await expect(page.getByText("Fair rents on the east bank.")).toBeVisible();
    await expect(page).toHaveTitle("Riverside Tenants Union");
    await page.getByRole("link", { name: "Go to the admin area" }).click();
    await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
    await expect(page).toHaveTitle("Dashboard · Changemaker");
  });

  test("unknown pages show a 404 page", async ({ page }) => {
    const response = await page.goto(`${server.baseURL}/no-such-page`);
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  });

  // Last: the email and password the earlier tests sign in with change here.
  test("a signed-in admin changes their name, email and password from the admin header", async ({ page, browser }) => {
    await signIn(page, server, "/admin");
    await page.getByRole("link", { name: "Your account" }).click();
    await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
    await ready(page);
    const email = page.getByLabel("Email (you sign in with it)");
    const current = page.getByLabel("Current password (only to change your email)");
    await expect(email).toHaveValue(ADMIN.email);
    await email.fill("ana.reyes@example.org");
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByTestId("error-current_password")).toHaveText(
      "Enter your current password to change your email.",
    );
    await page.getByLabel("Name").fill("Ana Reyes");
    await current.fill(ADMIN.password);
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByTestId("account-result")).toHaveText("Saved.");
    await expect(current).toHaveValue("");
    await expect(email).toHaveValue("ana.reyes@example.org");
    // The form's next save goes through: it follows its own saves.
    const name = page.getByLabel("Name");
    await name.fill("Ana R.");
    const answer = page.waitForResponse((r) => r.url().includes("/api/auth/update-account"));
    await page.getByRole("button", { name: "Save" }).click();
    expect((await answer).status()).toBe(200);
    await expect(name).toHaveValue("Ana R.");

    // Signed in on another device too, where she renames herself while this form is open: this
    // form's save would put the older name back, so it is refused.
    const elsewhere = await (await browser.newContext()).newPage();
    await signIn(elsewhere, server, "/admin", { ...ADMIN, email: "ana.reyes@example.org" });
    await elsewhere.goto(`${server.baseURL}/account`);
    await ready(elsewhere);
    await elsewhere.getByLabel("Name").fill("Ana Reyes");
    await elsewhere.getByRole("button", { name: "Save" }).click();
    await expect(elsewhere.getByTestId("account-result")).toHaveText("Saved.");
    await elsewhere.goto(`${server.baseURL}/admin`);
    await name.fill("Ana R. Reyes");
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByText(/Someone else saved changes to your account/)).toBeVisible();
    await page.reload();
    await ready(page);
    await expect(name).toHaveValue("Ana Reyes");

    // Signed out on the other device from here, and this one stays.
    await page.getByRole("button", { name: "Sign out everywhere else" }).click();
    await expect(page.getByTestId("signed-out-elsewhere")).toHaveText(/^Signed out \d+ other devices? or browsers?\.$/);
    await elsewhere.reload();
    await expect(elsewhere).toHaveURL(/\/login\?next=\/admin$/);
    await page.getByRole("button", { name: "Sign out everywhere else" }).click();
    await expect(page.getByTestId("signed-out-elsewhere")).toHaveText("No other device or browser was signed in.");

    await page.getByRole("link", { name: "Change your password" }).click();
    await expect(page.getByRole("heading", { name: "Change your password" })).toBeVisible();
    await ready(page);
    const changed = "a brand new passphrase for Ana";
    await page.getByLabel("Current password").fill("not my password at all");
    await page.getByLabel("New password (at least 12 characters)").fill(changed);
    await page.getByLabel("Repeat the new password").fill(changed);
    await page.getByRole("button", { name: "Change the password" }).click();
    await expect(page.getByTestId("error-current_password")).toHaveText("That is not your current password.");

    await page.getByLabel("Current password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Change the password" }).click();
    await expect(page.getByTestId("password-result")).toContainText("Your password is changed.");
    await page.getByRole("link", { name: "Back" }).click();
    await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
    await page.getByRole("link", { name: "Back" }).click();
    await expect(page.getByTestId("signed-in-user")).toHaveText("Ana Reyes");
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/login$/);
    await ready(page);
    await page.getByLabel("Email").fill("ana.reyes@example.org");
    await page.getByLabel("Password").fill(changed);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/admin$/);
    await expect(page.getByTestId("signed-in-user")).toHaveText("Ana Reyes");
  });
});
