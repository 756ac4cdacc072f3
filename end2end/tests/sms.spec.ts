import { expect } from "@playwright/test";
import { createHmac } from "node:crypto";
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { expectFitsPhone, panicsOf, ready, signIn, startWithAdmin, test, violations } from "./helpers";
import { RunningServer } from "./server";

const ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef";
const AUTH_TOKEN = "f00dbabe0123456789abcdef01234567";

// A one-pixel PNG: the picture sent with a text.
const PICTURE = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");

// A fake Twilio Messages API: checks the account and its token, keeps each text it takes, and
// keeps one picture sent with a text (behind a redirect, as Twilio does).
function startFakeTwilio(): Promise<{ baseURL: string; sent: Record<string, string>[]; server: Server }> {
  const sent: Record<string, string>[] = [];
  const credentials = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString("base64")}`;
  const server = createServer((req, res) => {
    if (req.method === "GET") {
      if (req.url === "/cdn/ME1" && !req.headers.authorization) {
        res.writeHead(200, { "content-type": "image/png" });
        return res.end(PICTURE);
      }
      const ok = req.headers.authorization === credentials && req.url?.endsWith("/Media/ME1");
      res.writeHead(ok ? 302 : 404, ok ? { location: "/cdn/ME1" } : {});
      return res.end();
    }
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const ok = req.headers.authorization === credentials && req.url === `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`;
      res.writeHead(ok ? 201 : 401, { "content-type": "application/json" });
      if (!ok) return res.end(JSON.stringify({ code: 20003, message: "Authenticate" }));
      sent.push(Object.fromEntries(new URLSearchParams(body)));
      res.end(JSON.stringify({ sid: `SM${String(sent.length).padStart(32, "0")}`, status: "queued" }));
    });
  });
  return new Promise((ok) =>
    server.listen(0, "127.0.0.1", () => ok({ baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sent, server })),
  );
}

// What Twilio posts to `url`, signed as Twilio signs it.
function signed(url: string, params: Record<string, string>) {
  const payload = url + Object.keys(params).sort().map((k) => k + params[k]).join("");
  const signature = createHmac("sha1", AUTH_TOKEN).update(payload).digest("base64");
  return { form: params, headers: { "X-Twilio-Signature": signature } };
}

// What Twilio posts for a text it received.
function signedText(webhookUrl: string, sid: string, from: string, text: string) {
  return signed(webhookUrl, { MessageSid: sid, AccountSid: ACCOUNT_SID, From: from, To: "+15550001111", Body: text });
}

test.describe.serial("text messages", () => {
  let server: RunningServer;
  let twilio: Awaited<ReturnType<typeof startFakeTwilio>>;

  test.beforeAll(async ({ browser }) => {
    twilio = await startFakeTwilio();
    server = await startWithAdmin(browser, { CHANGEMAKER_TWILIO_API_BASE: twilio.baseURL });
  });

  test.afterAll(async () => {
    await server.stop();
    twilio.server.close();
  });

  test("a text comes in, is read as a question and answered; a campaign goes to the contact", async ({ browser, request }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/contacts");
    await admin.getByText("Add a contact").click();
    const add = admin.getByTestId("add-contact");
    await add.getByLabel("Name").fill("Fannie Lou Hamer");
    await add.getByLabel("Email").fill("fannie@example.org");
    await add.getByLabel("Phone (optional)").fill("(555) 123-4567");
    await add.getByRole("button", { name: "Add contact" }).click();
    await expect(admin.getByRole("heading", { name: "Fannie Lou Hamer" })).toBeVisible();

    // Nothing set up: the inbox says where to set it up.
    await admin.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Text messages" }).click();
    await expect(admin.getByTestId("sms-not-set-up")).toContainText("Integrations");
    await expect(admin.getByTestId("sms-empty")).toHaveText("No texts yet.");

    // A wrong SID is named; then Twilio is set up and the token shows masked. (Pages are
    // reached through the nav, in the app: a page's forms are live once it has drawn them.)
    await admin.getByTestId("sms-not-set-up").getByRole("link", { name: "Integrations" }).click();
    await admin.getByLabel("Receive text messages").check();
    await admin.getByLabel("Account SID").fill("AC123");
    await admin.getByLabel("Auth token").fill(AUTH_TOKEN);
    await admin.getByRole("button", { name: "Save text message settings" }).click();
    await expect(admin.getByTestId("error-form[account_sid]")).toContainText("An account SID is AC and 32");
    await admin.getByLabel("Account SID").fill(ACCOUNT_SID);
    await admin.getByLabel(/^Sending number/).fill("+15550001111");
    await admin.getByLabel(/^Country code/).fill("1");
    await admin.getByRole("button", { name: "Save text message settings" }).click();
    await expect(admin.getByTestId("save-sms-result")).toHaveText("Saved.");
    await expect(admin.getByLabel("Auth token")).toHaveValue(/^…/);
    const webhookUrl = (await admin.getByTestId("sms-webhook-url").textContent()) ?? "";
    expect(webhookUrl).toBe(`${server.baseURL}/api/webhooks/sms`);

    // Twilio posts a text; unsigned, it is refused.
    const text = signedText(webhookUrl, "SM00000000000000000000000000000001", "+15551234567", "What time is the rally?");
    expect((await request.post(webhookUrl, { form: text.form })).status()).toBe(403);
    expect((await request.post(webhookUrl, { form: text.form, headers: text.headers })).status()).toBe(200);

    const inboxStream = admin.waitForResponse((r) => r.url().includes("sms.message.received"));
    await admin.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Text messages" }).click();
    const rows = admin.getByTestId("sms-row");
    const row = rows.filter({ hasText: "What time is the rally?" });
    await expect(rows).toHaveCount(1);
    await expect(row).toContainText("What time is the rally?");
    await expect(row).toContainText("Question");
    await expect(row.getByRole("link", { name: "Fannie Lou Hamer" })).toBeVisible();
    // On a phone the inbox fits, the text and its reply beside the sender; when it came and how
    // it reads are under the sender.
    await expectFitsPhone(admin, "the text messages", async () => {
      await expect(row).toContainText(/Fannie Lou Hamer\n.* · Question\s+What time is the rally\?/, { useInnerText: true });
    });

    // Two more texts, one with a picture, while the inbox is open: each counted live, shown
    // when asked; the picture comes from Twilio through Changemaker.
    await inboxStream;
    const pictureSid = "MM00000000000000000000000000000002";
    const another = signed(webhookUrl, {
      MessageSid: pictureSid,
      AccountSid: ACCOUNT_SID,
      From: "+15559876543",
      To: "+15550001111",
      Body: "Is there parking nearby?",
      NumMedia: "1",
      MediaUrl0: `${twilio.baseURL}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${pictureSid}/Media/ME1`,
      MediaContentType0: "image/png",
    });
    const thanks = signedText(webhookUrl, "SM00000000000000000000000000000003", "+15559876543", "Thanks!");
    const arrivals = await Promise.all(
      [another, thanks].map((t) => request.post(webhookUrl, { form: t.form, headers: t.headers })),
    );
    expect(arrivals.map((r) => r.status())).toEqual([200, 200]);
    await expect(admin.getByTestId("sms-arrived")).toContainText("2 new texts arrived.");
    await expect(rows).toHaveCount(1);
    await admin.getByRole("button", { name: "Show them" }).click();
    await expect(rows).toHaveCount(3);
    await expect(admin.getByTestId("sms-arrived")).toHaveCount(0);
    const picture = rows.filter({ hasText: "Is there parking nearby?" }).getByTestId("sms-media-image");
    await expect(picture).toHaveAttribute("src", /^\/api\/sms\/media\/[0-9a-f-]+\/0$/);
    await expect.poll(() => picture.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1);

    // Answered from the inbox.
    await row.getByText("Reply", { exact: true }).click();
    await row.getByLabel("Your reply").fill("Noon, at the station.");
    await row.getByRole("button", { name: "Send reply" }).click();
    await expect(admin.getByTestId("sms-reply")).toContainText("Noon, at the station.");
    expect(twilio.sent.at(-1)).toMatchObject({ To: "+15551234567", From: "+15550001111", Body: "Noon, at the station." });

    // The reply answered the question; the other two wait, until the thanks is marked done.
    await expect(row.getByTestId("sms-answering")).toHaveText("Answered");
    await expect(admin.getByTestId("sms-waiting")).toHaveText("2 texts waiting for an answer");
    const thanksRow = rows.filter({ hasText: "Thanks!" });
    await expect(thanksRow.getByTestId("sms-answering")).toContainText("Waiting for an answer");
    await thanksRow.getByRole("button", { name: "Mark done" }).click();
    await expect(thanksRow.getByTestId("sms-answering")).toContainText(/^Marked done by .+, \d{4}-\d\d-\d\d/);
    await expect(admin.getByTestId("sms-waiting")).toHaveText("1 text waiting for an answer");
    await admin.getByTestId("sms-waiting").getByRole("link").click();
    await expect(admin).toHaveURL(/waiting=true/);
    await expect(admin.getByLabel("Only those waiting for an answer")).toBeChecked();
    await expect(rows).toHaveCount(1);
    await expect(rows).toContainText("Is there parking nearby?");
    // Every text from that number (its link): the conversation, whatever it waits for.
    await rows.getByRole("link", { name: "+15559876543" }).click();
    await expect(admin.getByLabel("Search")).toHaveValue("+15559876543");
    await expect(admin.getByLabel("Only those waiting for an answer")).not.toBeChecked();
    await expect(rows).toHaveCount(2);
    await admin.getByLabel("Search").fill("");

    // Shown by sentiment.
    await admin.getByLabel("Show").selectOption("NEGATIVE");
    await admin.getByRole("button", { name: "Show" }).click();
    await expect(admin.getByTestId("sms-empty")).toHaveText("No texts of this kind.");
    await admin.getByLabel("Show").selectOption("QUESTION");
    await admin.getByRole("button", { name: "Show" }).click();
    await expect(admin).toHaveURL(/sentiment=QUESTION/);
    await expect(row).toHaveCount(1);
    await ready(admin);

    // A campaign to everyone: who it reaches, a confirmation, then its progress.
    await admin.getByRole("navigation", { name: "Text messages" }).getByRole("link", { name: "Campaigns" }).click();
    await expect(admin.getByTestId("campaigns-empty")).toBeVisible();
    await ready(admin);
    await expect(admin.getByTestId("audience")).toHaveText(
      "Goes to 1 number. Left out: 0 contacts without a number texts can go to, 0 opted out.",
    );
    admin.once("dialog", (dialog) => dialog.accept());
    await admin.getByRole("button", { name: "Send text campaign" }).click();
    await expect(admin.getByTestId("error-name")).toHaveText("Give the campaign a name, for the list.");
    await expect(admin.getByLabel("Name (for this list)")).toHaveAccessibleDescription("Give the campaign a name, for the list.");
    await admin.getByLabel("Name (for this list)").fill("Rally reminder");
    await admin.getByLabel("Text", { exact: true }).fill("Rally at noon tomorrow!");
    admin.once("dialog", (dialog) => {
      expect(dialog.message()).toBe("Send this text to 1 number now? This cannot be undone.");
      dialog.accept();
    });
    const streaming = admin.waitForResponse((r) => r.url().includes("sms.message.delivery"));
    await admin.getByRole("button", { name: "Send text campaign" }).click();
    await expect(admin.getByRole("heading", { name: "Rally reminder" })).toBeVisible();
    await expect(admin.getByTestId("job")).toHaveAttribute("data-status", "DONE");
    await expect(admin.getByTestId("job-summary")).toHaveText("Sent 1 text.");
    expect(twilio.sent.at(-1)).toMatchObject({ To: "+15551234567", Body: "Rally at noon tomorrow!\n\nReply STOP to stop these texts." });

    // Twilio reports that text not delivered: the open campaign page says so, with the
    // reason, without a reload.
    const statusUrl = `${server.baseURL}/api/webhooks/sms/status`;
    expect(twilio.sent.at(-1)?.StatusCallback).toBe(statusUrl);
    const sid = `SM${String(twilio.sent.length).padStart(32, "0")}`;
    const report = signed(statusUrl, { MessageSid: sid, AccountSid: ACCOUNT_SID, MessageStatus: "undelivered", ErrorCode: "30003" });
    expect((await request.post(statusUrl, { form: report.form })).status()).toBe(403);
    await streaming;
    expect((await request.post(statusUrl, { form: report.form, headers: report.headers })).status()).toBe(200);
    await expect(admin.getByTestId("campaign-delivery")).toHaveText("Twilio reports 0 delivered and 1 not delivered so far.");
    await expect(admin.getByTestId("failure-row")).toContainText("Not delivered (Twilio error 30003)");
    // Opened by its address (a reload, a shared link), the page comes alive with its bar.
    const panics = panicsOf(admin);
    await admin.reload();
    await ready(admin);
    await expect(admin.getByTestId("job-summary")).toHaveText("Sent 1 text.");
    expect(panics).toEqual([]);
    expect(await violations(admin), "a text campaign's page").toEqual([]);
    await admin.getByRole("link", { name: "← Text campaigns" }).click();
    await expect(admin.getByTestId("campaign-row")).toHaveCount(1);
    await expectFitsPhone(admin, "the text campaigns", async () => {
      await expect(admin.getByTestId("campaign-row")).toContainText(/Rally reminder\n.* · Sent\s+1 of 1\s+0\s+1/, { useInnerText: true });
    });

    // Fannie answers the campaign: her text says what it answers, and waits for an answer.
    const yes = signedText(webhookUrl, "SM00000000000000000000000000000009", "+15551234567", "Yes, see you there");
    expect((await request.post(webhookUrl, { form: yes.form, headers: yes.headers })).status()).toBe(200);
    await admin.getByRole("navigation", { name: "Text messages" }).getByRole("link", { name: "Received" }).click();
    const answer = rows.filter({ hasText: "Yes, see you there" });
    await expect(answer.getByTestId("sms-after-campaign")).toContainText("After the campaign Rally reminder (");
    await expect(answer.getByTestId("sms-after-campaign")).toContainText("“Rally at noon tomorrow!");
    await expect(answer.getByTestId("sms-answering")).toContainText("Waiting for an answer");
    await expect(admin.getByTestId("sms-waiting")).toHaveText("2 texts waiting for an answer");
    await ready(admin);
    expect(await violations(admin), "the text messages with their answers").toEqual([]);
  });
});
