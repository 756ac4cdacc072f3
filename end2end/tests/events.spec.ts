import { createHmac, randomBytes } from "node:crypto";
import { createServer, IncomingHttpHeaders } from "node:http";
import { AddressInfo } from "node:net";
import { expect } from "@playwright/test";
import { ADMIN, createShift, ready, signIn, signUp, startWithAdmin, test } from "./helpers";
import { RunningServer } from "./server";

test.describe.serial("event bus pages", () => {
  let server: RunningServer;

  test.beforeAll(async ({ browser }) => {
    server = await startWithAdmin(browser);
  });

  test.afterAll(async () => {
    await server.stop();
  });

  test("a test event shows up live, in the statistics and in the log", async ({ browser }) => {
    const live = await browser.newPage();
    await signIn(live, server, "/admin/events/live");
    await expect(live.getByTestId("connection")).toHaveText("Connected");

    const bus = await browser.newPage({ storageState: await live.context().storageState() });
    await bus.goto(`${server.baseURL}/admin/events/bus`);
    await ready(bus);
    await expect(bus.getByTestId("listener-event-log")).toBeVisible();
    await bus.getByRole("button", { name: "Send test event" }).click();
    await expect(bus.getByTestId("test-event-result")).toContainText("Sent system.test");

    // The live page receives it, decoded with the shared catalog.
    const event = live.getByTestId("live-event").filter({ hasText: "system.test" });
    await expect(event).toBeVisible();
    await expect(event).toContainText("System");
    await expect(live.getByTestId("topic-counts")).toContainText("system.test: 1");

    // Paused: new events wait; resumed: they appear.
    await live.getByTestId("pause").click();
    await bus.getByRole("button", { name: "Send test event" }).click();
    await expect(live.getByTestId("pause")).toHaveText("Resume (1 waiting)");
    await expect(live.getByTestId("live-event").filter({ hasText: "system.test" })).toHaveCount(1);
    await live.getByTestId("pause").click();
    await expect(live.getByTestId("live-event").filter({ hasText: "system.test" })).toHaveCount(2);

    // Statistics refresh by themselves.
    await expect(bus.getByTestId("topic-system.test").getByTestId("published")).toHaveText("2", { timeout: 15_000 });

    // The event log lists it and filters by topic.
    await bus.goto(`${server.baseURL}/admin/events/log?topic=system.*`);
    await expect(bus.getByTestId("log-row")).toHaveCount(2);
    await bus.goto(`${server.baseURL}/admin/events/log?topic=user.created`);
    await expect(bus.getByTestId("log-row")).toHaveCount(1);
    await bus.goto(`${server.baseURL}/admin/events/log?topic=Not+A+Topic`);
    await expect(bus.getByTestId("load-error")).toContainText("Enter a topic");
  });

  test("a super admin sends every event to an n8n webhook, signed, and tells team chat", async ({ page }) => {
    // An n8n and Rocket.Chat stand-in that keeps what it is sent, told apart by path.
    const received: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
    const receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        received.push({ path: req.url ?? "", headers: req.headers, body });
        res.end("ok");
      });
    });
    await new Promise<void>((done) => receiver.listen(0, "127.0.0.1", done));
    const receiverURL = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const hook = `${receiverURL}/webhook/changemaker`;
    const n8n = () => received.filter((r) => r.path === "/webhook/changemaker");
    const chat = () => received.filter((r) => r.path.startsWith("/hooks/"));
    const secret = `whsec_${randomBytes(32).toString("base64")}`;
    try {
      await signIn(page, server, "/admin/integrations");
      await expect(page.getByRole("heading", { name: "Automation webhook (n8n)" })).toBeVisible();
      // Turned on without a secret: refused, with the reason under the field.
      await page.getByLabel("Send every event to this webhook").check();
      await page.getByLabel("Webhook address", { exact: true }).fill(hook);
      await page.getByRole("button", { name: "Save automation settings" }).click();
      await expect(page.getByTestId("error-form[secret]")).toContainText("Enter a signing secret");

      await page.getByLabel("Signing secret").fill(secret);
      await page.getByRole("button", { name: "Save automation settings" }).click();
      await expect(page.getByTestId("save-result")).toHaveText("Saved.");
      await expect(page.getByLabel("Signing secret")).toHaveValue(/^whsec_…/);

      await page.getByLabel("Post to team chat").check();
      await page.getByLabel("Incoming webhook address").fill(`${receiverURL}/hooks/abc/chat-token`);
      await page.getByRole("button", { name: "Save team chat settings" }).click();
      await expect(page.getByTestId("save-chat-result")).toHaveText("Saved.");
      await expect(page.getByLabel("Incoming webhook address")).toHaveValue(/^…/);
      // Each form goes on saving: it follows its own saves (a save from a form opened before
      // someone else's is refused; see the accounts spec). Typing clears "Saved." until then.
      await page.getByLabel("Webhook address", { exact: true }).fill("");
      await page.getByLabel("Webhook address", { exact: true }).fill(hook);
      await expect(page.getByTestId("save-result")).toHaveText("");
      await page.getByRole("button", { name: "Save automation settings" }).click();
      await expect(page.getByTestId("save-result")).toHaveText("Saved.");

      await page.getByRole("button", { name: "Send test event" }).click();
      await expect(page.getByTestId("test-event-result")).toContainText("Sent system.test");
      await expect.poll(() => n8n().length).toBe(1);
      await expect.poll(() => chat().length).toBe(1);
      expect(JSON.parse(chat()[0].body).text).toContain("Changemaker is connected to this channel");
      const [got] = n8n();
      const envelope = JSON.parse(got.body);
      expect(envelope.topic).toBe("system.test");
      expect(envelope.payload.message).toContain(ADMIN.name);
      // The receiver checks the signature as Standard Webhooks says.
      const key = Buffer.from(secret.slice("whsec_".length), "base64");
      const signed = `${got.headers["webhook-id"]}.${got.headers["webhook-timestamp"]}.${got.body}`;
      const expected = `v1,${createHmac("sha256", key).update(signed).digest("base64")}`;
      expect(got.headers["webhook-signature"]).toBe(expected);
      expect(got.headers["webhook-id"]).toBe(envelope.id);

      // The Event bus page counts the delivery.
      await page.goto(`${server.baseURL}/admin/events/bus`);
      await ready(page);
      await expect(page.getByTestId("listener-automation").getByTestId("delivered")).toHaveText("1");
      await expect(page.getByTestId("listener-team-chat").getByTestId("delivered")).toHaveText("1");

      // Opened afresh, the page shows what is stored, the secrets masked. (Last, since a form
      // on a freshly loaded page may be sent before its code is ready, as a plain post.)
      await page.goto(`${server.baseURL}/admin/integrations`);
      await ready(page);
      await expect(page.getByLabel("Webhook address", { exact: true })).toHaveValue(hook);
      await expect(page.getByLabel("Signing secret")).toHaveValue(/^whsec_…/);
      await expect(page.getByLabel("Incoming webhook address")).toHaveValue(/^…/);
    } finally {
      receiver.close();
    }
  });

  test("a super admin puts public shifts on the Gancio calendar", async ({ page }) => {
    // A Gancio stand-in: takes entries, answering with their id, as Gancio's API does.
    const added: { authorization: string; fields: URLSearchParams }[] = [];
    const gancio = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        if (req.method !== "POST" || req.url !== "/api/event") {
          res.statusCode = 404;
          res.end();
          return;
        }
        added.push({ authorization: req.headers.authorization ?? "", fields: new URLSearchParams(body) });
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ id: added.length }));
      });
    });
    await new Promise<void>((done) => gancio.listen(0, "127.0.0.1", done));
    const gancioURL = `http://127.0.0.1:${(gancio.address() as AddressInfo).port}`;
    const token = `gancio-${randomBytes(16).toString("hex")}`;
    try {
      // A shift from before the calendar was set up.
      await signIn(page, server, "/admin/shifts");
      await createShift(page, "Early market", 2, "Market square");
      // Moving in place, as an admin does: a page loaded afresh could send a form used at
      // once as a plain post, before its code is ready.
      await page.getByRole("link", { name: "Integrations", exact: true }).click();
      await expect(page.getByRole("heading", { name: "Public calendar (Gancio)" })).toBeVisible();
      await page.getByLabel("Keep public shifts on the calendar").check();
      await page.getByLabel("Calendar address").fill(gancioURL);
      await page.getByLabel("Access token").fill("not a token");
      await page.getByRole("button", { name: "Save calendar settings" }).click();
      await expect(page.getByTestId("error-form[token]")).toContainText("without spaces");

      await page.getByLabel("Access token").fill(token);
      await page.getByRole("button", { name: "Save calendar settings" }).click();
      await expect(page.getByTestId("save-calendar-result")).toHaveText("Saved.");
      await expect(page.getByLabel("Access token")).toHaveValue(/^…/);
      expect(added).toHaveLength(0);

      // The shift from before is added on request, with a progress bar and a summary.
      await page.getByRole("button", { name: "Add upcoming public shifts now" }).click();
      await expect(page.getByTestId("job-summary")).toHaveText("Added 1 shift to the calendar.");
      expect(added.map((a) => a.fields.get("title"))).toEqual(["Early market"]);

      // A public shift created in the admin pages appears on the calendar.
      await page.getByRole("link", { name: "Shifts", exact: true }).click();
      await createShift(page, "Market stall", 3, "Market square");
      await expect.poll(() => added.length).toBe(2);
      const entry = added[1];
      expect(entry.authorization).toBe(`Bearer ${token}`);
      expect(entry.fields.get("title")).toBe("Market stall");
      expect(entry.fields.get("place_name")).toBe("Market square");
      expect(entry.fields.get("description")).toMatch(/\/shifts\/[^"]+">Sign up to volunteer/);
      expect(Number(entry.fields.get("end_datetime"))).toBe(Number(entry.fields.get("start_datetime")) + 3 * 3600);
    } finally {
      gancio.close();
    }
  });

  test("a super admin connects Listmonk: volunteers from before and after become subscribers", async ({ page, browser }) => {
    // A Listmonk stand-in: lists and subscribers, as its API answers them.
    const lists: { id: number; name: string; type: string }[] = [];
    const subscribers: { authorization: string; body: any }[] = [];
    const listmonk = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        const path = (req.url ?? "").split("?")[0];
        let data: unknown;
        if (req.method === "GET" && path === "/api/lists") {
          data = { results: lists };
        } else if (req.method === "POST" && path === "/api/lists") {
          const list = { id: lists.length + 1, name: JSON.parse(body).name, type: JSON.parse(body).type };
          lists.push(list);
          data = list;
        } else if (req.method === "GET" && path === "/api/subscribers") {
          // The server asks by email: LOWER(subscribers.email) = '…'.
          const query = new URL(req.url ?? "", "http://x").searchParams.get("query") ?? "";
          const email = query.split("'")[1];
          const found = subscribers.findIndex((s) => s.body.email === email);
          const known = found < 0 ? undefined : subscribers[found].body;
          const lists = known?.lists.map((id: number) => ({ id }));
          data = { results: known ? [{ ...known, id: found + 1, status: "enabled", lists }] : [] };
        } else if (req.method === "POST" && path === "/api/subscribers") {
          subscribers.push({ authorization: req.headers.authorization ?? "", body: JSON.parse(body) });
          data = { id: subscribers.length };
        } else {
          res.statusCode = 404;
          res.end();
          return;
        }
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ data }));
      });
    });
    await new Promise<void>((done) => listmonk.listen(0, "127.0.0.1", done));
    const listmonkURL = `http://127.0.0.1:${(listmonk.address() as AddressInfo).port}`;
    const token = `lm${randomBytes(16).toString("hex")}`;
    try {
      await signIn(page, server, "/admin/shifts");
      await createShift(page, "Canal clean-up", 4, "Lock 7");
      // A volunteer from before the newsletter was set up.
      const volunteer = await browser.newPage();
      await signUp(volunteer, server, "Canal clean-up", 22);

      // Moving in place, as an admin does (see the calendar test).
      await page.getByRole("link", { name: "Integrations", exact: true }).click();
      await expect(page.getByRole("heading", { name: "Newsletter (Listmonk)" })).toBeVisible();
      await page.getByLabel("Keep subscribers in step with Listmonk").check();
      await page.getByLabel("Listmonk address").fill(listmonkURL);
      await page.getByLabel("API user").fill("changemaker");
      await page.getByLabel("API token").fill("not a token");
      await page.getByRole("button", { name: "Save newsletter settings" }).click();
      await expect(page.getByTestId("error-form[api_token]")).toContainText("without spaces");

      await page.getByLabel("API token").fill(token);
      await page.getByLabel("Volunteers list").fill("Canal volunteers");
      await page.getByRole("button", { name: "Save newsletter settings" }).click();
      await expect(page.getByTestId("save-newsletter-result")).toHaveText("Saved.");
      await expect(page.getByLabel("API token")).toHaveValue(/^…/);
      expect(subscribers).toHaveLength(0);

      // The volunteer from before is added on request, with a progress bar and a summary.
      await page.getByRole("button", { name: "Add existing contacts now" }).click();
      await expect(page.getByTestId("job-summary")).toHaveText("Added 1 contact to Listmonk.");
      expect(subscribers.map((s) => s.body.email)).toEqual(["v22@example.org"]);
      expect(lists).toEqual([{ id: 1, name: "Canal volunteers", type: "private" }]);

      // A volunteer who signs up now is a subscriber on the volunteers' list at once.
      await signUp(volunteer, server, "Canal clean-up", 21);
      await expect.poll(() => subscribers.length).toBe(2);
      const got = subscribers[1];
      expect(got.authorization).toBe(`Basic ${Buffer.from(`changemaker:${token}`).toString("base64")}`);
      expect(got.body.email).toBe("v21@example.org");
      expect(got.body.name).toBe("Volunteer 21");
      expect(got.body.attribs.changemaker.volunteer).toBe(true);
      expect(got.body.lists).toEqual([1]);
      expect(lists).toHaveLength(1);
      await volunteer.close();
    } finally {
      listmonk.close();
    }
  });
});
