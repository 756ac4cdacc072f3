import { expect } from "@playwright/test";
import { createShift, ready, signIn, signUp, startWithAdmin, test } from "./helpers";
import { RunningServer } from "./server";

test.describe.serial("look", () => {
  let server: RunningServer;
  test.beforeAll(async ({ browser }) => { server = await startWithAdmin(browser); });
  test.afterAll(async () => { await server.stop(); });

  test("screens", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/shifts");
    await createShift(admin, "Saturday canvass", 2);
    await createShift(admin, "Phone bank evening", 5, "Office");
    const phone = await browser.newPage({ viewport: { width: 375, height: 800 } });
    await signUp(phone, server, "Saturday canvass", 1);
    await phone.screenshot({ path: "/tmp/shots/confirm-phone.png", fullPage: true });
    await phone.goto(`${server.baseURL}/shifts`);
    await ready(phone);
    await phone.screenshot({ path: "/tmp/shots/shifts-phone.png", fullPage: true });
    await admin.goto(`${server.baseURL}/admin/users`);
    await ready(admin);
    await admin.getByLabel("Name", { exact: true }).fill("Noor");
    await admin.getByLabel("Email", { exact: true }).fill("noor@example.org");
    await admin.getByRole("button", { name: "Create account" }).click();
    await expect(admin.getByRole("status").filter({ hasText: "Account created." })).toBeVisible();
    await admin.screenshot({ path: "/tmp/shots/users.png", fullPage: true });
    const adminPhone = await browser.newPage({ viewport: { width: 375, height: 800 }, storageState: await admin.context().storageState() });
    await adminPhone.goto(`${server.baseURL}/admin/shifts`);
    await ready(adminPhone);
    await adminPhone.getByRole("link", { name: "Saturday canvass" }).click();
    await ready(adminPhone);
    await adminPhone.screenshot({ path: "/tmp/shots/admin-shift-phone.png", fullPage: true });
    await adminPhone.goto(`${server.baseURL}/admin/contacts`);
    await ready(adminPhone);
    await adminPhone.screenshot({ path: "/tmp/shots/contacts-phone.png", fullPage: true });
  });
});
