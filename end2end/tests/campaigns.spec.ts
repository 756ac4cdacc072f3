import { expect } from "@playwright/test";
import { readFileSync } from "node:fs";
import { expectFitsPhone, ready, signIn, startWithAdmin, test, violations } from "./helpers";
import { RunningServer } from "./server";

test.describe.serial("campaigns", () => {
  let server: RunningServer;

  test.beforeAll(async ({ browser }) => {
    server = await startWithAdmin(browser);
  });

  test.afterAll(async () => {
    await server.stop();
  });

  test("an admin publishes a campaign; a supporter's email shows live and on their contact", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/campaigns");
    await expect(admin.getByText("No campaigns yet.")).toBeVisible();
    await admin.getByLabel("Title", { exact: true }).fill("Save the park");
    // The address is left empty: it is made from the title.
    await admin.getByLabel("Summary", { exact: true }).fill("The city wants to sell Riverside Park.");
    await admin.getByLabel("Text", { exact: true }).fill("Council votes on the 12th.");
    await admin.getByLabel("Call to action").fill("Email your councillors");
    await admin.getByLabel(/^Recipients/).fill("Councillor Lee | Ward 7 | lee@city.example\nmayor@city.example");
    await admin.getByLabel("Email subject").fill("Keep {{campaign_title}} green");
    await admin.getByRole("button", { name: "Save campaign" }).click();
    // A new campaign opens its own page, a draft, to be published there.
    await expect(admin.getByRole("heading", { name: "Save the park" })).toBeVisible();
    await expect(admin.getByTestId("campaign-status").first()).toHaveText("Draft");
    await expect(admin.getByLabel(/^Address/)).toHaveValue("save-the-park");
    await ready(admin);
    await admin.getByLabel("Why (kept in the history)").fill("Council votes on the 12th");
    await admin.getByRole("button", { name: "Publish" }).click();
    await expect(admin.getByTestId("campaign-status").first()).toHaveText("Active");
    await expect(admin.getByTestId("status-change")).toContainText("DRAFT → ACTIVE");
    await expect(admin.getByTestId("emails-sent")).toHaveText("0 emails sent");

    // The admin starts changing the subject; a supporter's email arriving does not empty it.
    await admin.getByLabel("Email subject").fill("Keep {{campaign_title}} green and open");

    // Supporters find the campaign on the home page.
    const supporter = await (await browser.newContext()).newPage();
    await supporter.goto(`${server.baseURL}/`);
    await supporter.getByTestId("home-campaign").getByRole("link", { name: /Save the park/ }).click();
    await expect(supporter).toHaveURL(/\/campaigns\/save-the-park$/);
    await ready(supporter);
    await supporter.getByLabel("Your name").fill("Sam Supporter");
    await supporter.getByLabel("Your email").fill("sam@example.org");
    await supporter.getByLabel("Postal code").fill("K1A 0A6");
    await supporter.getByLabel("Your message (optional)").fill("The park is where my kids play.");
    await supporter.getByRole("button", { name: "Preview the email" }).click();
    const preview = supporter.getByTestId("preview");
    await expect(preview).toHaveCount(2);
    await expect(preview.first()).toContainText("To Councillor Lee — Keep Save the park green");
    await expect(preview.first()).toContainText("Dear Councillor Lee,");
    await expect(preview.first()).toContainText("The park is where my kids play.");
    await expect(preview.first()).toContainText("Sam Supporter (K1A 0A6)");
    await supporter.getByRole("button", { name: "Send the email" }).click();
    await expect(supporter.getByTestId("sent")).toHaveText("Sent to 2 representatives. Thank you for speaking up!");

    // The admin's page counts it without a reload.
    await expect(admin.getByTestId("emails-sent")).toHaveText("1 email sent");
    await expect(admin.getByLabel("Email subject")).toHaveValue("Keep {{campaign_title}} green and open");
    // Saved twice from the same form: its second save is not taken for someone else's.
    const edit = admin.locator("section").filter({ has: admin.getByRole("heading", { name: "Edit" }) });
    for (const subject of ["Keep {{campaign_title}} green and open", "Keep {{campaign_title}} green"]) {
      await edit.getByLabel("Email subject").fill(subject);
      const [saved] = await Promise.all([
        admin.waitForResponse((response) => response.url().endsWith("/api/campaigns/save")),
        edit.getByRole("button", { name: "Save campaign" }).click(),
      ]);
      expect(saved.status()).toBe(200);
    }
    await admin.reload();
    await expect(admin.getByLabel("Email subject")).toHaveValue("Keep {{campaign_title}} green");
    await ready(admin);
    // A colleague saves it while this form is open: this page follows (it fetches the campaign
    // again), but a save from the form opened before is refused, not made over theirs.
    const colleague = await browser.newPage({ storageState: await admin.context().storageState() });
    await colleague.goto(admin.url());
    await ready(colleague);
    const followed = admin.waitForResponse((response) => response.url().endsWith("/api/campaigns/get"));
    await colleague.getByLabel("Summary", { exact: true }).fill("The city wants to sell Riverside Park to developers.");
    await colleague.getByRole("button", { name: "Save campaign" }).click();
    await followed;
    await colleague.close();
    await admin.getByLabel("Call to action").fill("Write to council today");
    await admin.getByRole("button", { name: "Save campaign" }).click();
    await expect(admin.getByTestId("form-error")).toContainText("Someone else saved changes to this campaign while you were editing it");
    await admin.reload();
    await expect(admin.getByLabel("Summary", { exact: true })).toHaveValue("The city wants to sell Riverside Park to developers.");
    await expect(admin.getByLabel("Call to action")).toHaveValue("Email your councillors");
    await ready(admin);

    // Without JavaScript (or before the page's code has loaded) the browser sends the form
    // itself, and the supporter still sees their thanks.
    const plain = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
    await plain.goto(`${server.baseURL}/campaigns/save-the-park`);
    await plain.getByLabel("Your name").fill("Pat Plain");
    await plain.getByLabel("Your email").fill("pat@example.org");
    await plain.getByLabel("Postal code").fill("K1A 0A6");
    await plain.getByRole("button", { name: "Send the email" }).click();
    await expect(plain.getByTestId("sent")).toHaveText("Sent to 2 representatives. Thank you for speaking up!");
    await expect(admin.getByTestId("emails-sent")).toHaveText("2 emails sent");
    // The page with its supporters listed (links in a line of text) and both of its forms.
    await expect(admin.getByTestId("supporter")).toHaveCount(2);
    expect(await violations(admin), "a campaign's page").toEqual([]);
    // Every supporter, downloaded as a spreadsheet.
    const [download] = await Promise.all([
      admin.waitForEvent("download"),
      admin.getByRole("link", { name: "Download all supporters (CSV)" }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^campaign-.+-supporters\.csv$/);
    const csv = readFileSync(await download.path(), "utf8");
    expect(csv).toContain("sent_utc,name,email,postal_code,message,representatives");
    expect(csv).toContain('"Pat Plain","pat@example.org","K1A 0A6"');
    await admin.getByTestId("supporter").getByRole("link", { name: "Sam Supporter" }).click();
    await expect(admin.getByRole("heading", { name: "Sam Supporter" })).toBeVisible();
    await expect(async () => {
      await admin.reload();
      await ready(admin);
      await expect(admin.getByTestId("activity").first()).toContainText("Emailed their representative: Save the park", {
        timeout: 1000,
      });
    }).toPass();
    // The list of campaigns fits a phone.
    await admin.goto(`${server.baseURL}/admin/campaigns`);
    await ready(admin);
    await expectFitsPhone(admin, "the campaigns", async () => {
      await expect(admin.getByTestId("campaign-row")).toContainText(/Save the park\s+Active\s+2/, { useInnerText: true });
    });
  });

  test("a representative's response waits for moderation; a decision shows on every moderator's page", async ({
    browser,
  }) => {
    const openCampaign = async () => {
      const page = await browser.newPage();
      await signIn(page, server, "/admin/campaigns");
      await page.getByRole("link", { name: "Save the park" }).click();
      await expect(page.getByRole("heading", { name: "Save the park" })).toBeVisible();
      await ready(page);
      return page;
    };
    const first = await openCampaign();
    const second = await openCampaign();
    await expect(first.getByText("No responses yet.")).toBeVisible();

    const representative = await (await browser.newContext()).newPage();
    await representative.goto(`${server.baseURL}/campaigns/save-the-park/respond`);
    await ready(representative);
    await representative.getByLabel("Your name and title").fill("Councillor Lee");
    await representative.getByLabel("Your email").fill("lee@city.example");
    await representative.getByLabel("Your response").fill("I will vote against the sale.");
    await representative.getByRole("button", { name: "Send the response" }).click();
    await expect(representative.getByTestId("response-sent")).toBeVisible();

    // Both moderators see it arrive, pending, without a reload; one approves it, and the
    // other's page shows the decision at once (response.moderated), with no buttons left.
    for (const page of [first, second]) {
      await expect(page.getByTestId("response")).toContainText("Councillor Lee");
      await expect(page.getByTestId("response")).toContainText("pending");
      await expect(page.getByTestId("pending-responses")).toHaveText("1 response awaiting moderation, shown first.");
    }
    await second.getByTestId("response").getByRole("button", { name: "Approve" }).click();
    await expect(first.getByTestId("response")).toContainText("approved");
    await expect(first.getByTestId("pending-responses")).toHaveCount(0);
    await expect(first.getByTestId("response").getByRole("button", { name: "Approve" })).toHaveCount(0);

    await representative.goto(`${server.baseURL}/campaigns/save-the-park`);
    await expect(representative.getByTestId("public-response")).toContainText("I will vote against the sale.");
  });
});
