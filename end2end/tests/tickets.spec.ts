import { Browser, expect, Page } from "@playwright/test";
import { FakeStripe, SECRET_KEY, startFakeStripe, WEBHOOK_SECRET } from "./fake-stripe";
import { expectFitsPhone, ready, signIn, startWithAdmin, test, tomorrow } from "./helpers";
import { RunningServer } from "./server";

test.describe.serial("ticketed events", () => {
  let server: RunningServer;
  let stripe: FakeStripe;

  test.beforeAll(async ({ browser }) => {
    stripe = await startFakeStripe();
    server = await startWithAdmin(browser, { CHANGEMAKER_STRIPE_API_BASE: stripe.baseURL });
  });

  test.afterAll(async () => {
    await server.stop();
    await stripe.stop();
  });

  // Someone in their own browser takes a free ticket to the film night; answers their ticket's page.
  async function takeFilmNightTicket(browser: Browser, name: string, email: string): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.baseURL}/events/film-night`);
    await ready(page);
    await page.getByLabel("Your name").fill(name);
    await page.getByLabel("Your email").fill(email);
    await page.getByRole("button", { name: "Get my ticket" }).click();
    await expect(page.getByTestId("ticket-status")).toContainText("Show this code at the door.");
    return page;
  }

  test("an admin publishes an event; visitors take tickets, shown live; one is checked in, one returned; the event is cancelled", async ({
    browser,
  }) => {
    // A second organiser has the list open.
    const colleague = await browser.newPage();
    await signIn(colleague, server, "/admin/ticketed-events");
    await expect(colleague.getByText("No ticketed events yet.")).toBeVisible();
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/ticketed-events");
    await expect(admin.getByText("No ticketed events yet.")).toBeVisible();
    await admin.getByLabel("Title", { exact: true }).fill("Film night");
    await admin.getByLabel("Venue").fill("Riverside Hall");
    await admin.getByLabel("Date").fill(tomorrow());
    await admin.getByLabel("Starts").fill("19:00");
    await admin.getByLabel("Ends").fill("22:00");
    await admin.getByLabel(/^Tickets, one tier per line/).fill("Seats | 2");
    await admin.getByRole("button", { name: "Save event" }).click();
    // A new event opens its own page, a draft, to be published there.
    await expect(admin.getByRole("heading", { name: "Film night" })).toBeVisible();
    await expect(admin.getByTestId("event-status")).toHaveText("Draft");
    await expect(admin.getByLabel(/^Address/)).toHaveValue("film-night");
    await expect(admin.getByTestId("reminder")).toHaveText("Ticket holders are reminded a day before.");
    await ready(admin);
    await admin.getByRole("button", { name: "Publish" }).click();
    await expect(admin.getByTestId("event-status")).toHaveText("Published");
    await expect(admin.getByText("No tickets taken yet.")).toBeVisible();
    // The colleague's list shows it, as it now is, without a reload.
    await expect(colleague.getByRole("row", { name: /Film night/ })).toContainText("Published");
    await colleague.close();
    // The dashboard lists it among the coming events.
    const dashboard = await browser.newPage();
    await signIn(dashboard, server, "/admin");
    await expect(dashboard.getByTestId("coming-event")).toContainText("0 taken · 2 tickets left");

    // Someone at the door starts typing a code; a ticket taken meanwhile does not empty it.
    await admin.getByLabel("Ticket code").fill("ABCD");

    // A visitor finds it from the home page and takes a ticket.
    const visitor = await (await browser.newContext()).newPage();
    await visitor.goto(`${server.baseURL}/`);
    await visitor.getByRole("link", { name: "Events" }).first().click();
    await expect(visitor.getByTestId("public-event")).toContainText("2 tickets left");
    await visitor.getByRole("link", { name: /Film night/ }).click();
    await expect(visitor).toHaveURL(/\/events\/film-night$/);
    await ready(visitor);
    await expect(visitor.getByTestId("tier-choice")).toHaveText("Seats — Free — 2 tickets left");
    await visitor.getByRole("button", { name: "Get my ticket" }).click();
    await expect(visitor.getByTestId("error-form[name]")).toHaveText("Enter a name.");
    await visitor.getByLabel("Your name").fill("Sam Guest");
    await visitor.getByLabel("Your email").fill("sam@example.org");
    await visitor.getByRole("button", { name: "Get my ticket" }).click();
    await expect(visitor).toHaveURL(/\/ticket\?code=[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    const code = (await visitor.getByTestId("ticket-code").textContent()) ?? "";
    await expect(visitor.getByTestId("ticket-status")).toContainText("Show this code at the door.");

    // The admin's page shows the ticket without a reload.
    await expect(admin.getByTestId("ticket-row")).toHaveCount(1);
    await expect(admin.getByTestId("ticket-row")).toContainText("Sam Guest");
    await expect(admin.getByTestId("tier")).toHaveText("Seats (Free): 1 of 2 taken");
    await expect(dashboard.getByTestId("coming-event")).toContainText("1 taken · 1 ticket left");
    await expect(admin.getByLabel("Ticket code")).toHaveValue("ABCD");
    // On a phone at the door the row fits whole: checking in and cancelling both in sight.
    await expectFitsPhone(admin, "the tickets", async () => {
      await expect(admin.getByTestId("ticket-row").getByRole("button", { name: "Cancel" })).toBeVisible();
    });

    // At the door, a phone scans the ticket's QR code: its link opens the event's page (after
    // signing in) with the code filled in, and one press checks Sam in.
    await expect(visitor.getByRole("img", { name: "QR code of this ticket, for the door to scan" })).toBeVisible();
    const eventPath = new URL(admin.url()).pathname;
    const door = await (await browser.newContext()).newPage();
    await signIn(door, server, `${eventPath}?code=${code}`);
    await expect(door.getByLabel("Ticket code")).toHaveValue(code);
    await door.getByRole("button", { name: "Check in", exact: true }).click();
    await expect(door.getByTestId("checked-in-result")).toHaveText("Checked in: Sam Guest (Seats).");
    // The link's code is spent: the address drops it and the field is empty for the next.
    await expect(door).toHaveURL(new RegExp(`${eventPath}$`));
    await expect(door.getByLabel("Ticket code")).toHaveValue("");
    await expect(admin.getByTestId("checked-in")).toHaveText("1 checked in");
    // Typed, in any case and spacing, it is refused: Sam is in already.
    await admin.getByLabel("Ticket code").fill(code.replace(/-/g, " ").toLowerCase());
    await admin.getByRole("button", { name: "Check in", exact: true }).click();
    await expect(admin.getByText(/Sam Guest was already checked in at/)).toBeVisible();
    // At the door on a phone the tickets fit: the email, the tier and the code under the name.
    await expectFitsPhone(admin, "a ticketed event's tickets", async () => {
      await expect(admin.getByTestId("ticket-row")).toContainText(`Sam Guest\nsam@example.org · Seats · ${code}`, { useInnerText: true });
    });

    // Someone who cannot come gives their place back.
    const second = await takeFilmNightTicket(browser, "Pat Plans", "pat@example.org");
    await expect(admin.getByTestId("tier")).toHaveText("Seats (Free): 2 of 2 taken");
    // Scanned at the door by a phone already signed in: the button to press has the focus.
    const patCode = (await second.getByTestId("ticket-code").textContent()) ?? "";
    await door.goto(`${server.baseURL}${eventPath}?code=${patCode}`);
    await expect(door.getByLabel("Ticket code")).toHaveValue(patCode);
    await expect(door.getByRole("button", { name: "Check in", exact: true })).toBeFocused();
    await door.close();
    await ready(second);
    await second.getByLabel("I can't come: give my place to someone else.").check();
    await second.getByRole("button", { name: "Return my ticket" }).click();
    await expect(second.getByTestId("ticket-status")).toHaveText("This ticket is cancelled.");
    await expect(admin.getByTestId("tier")).toHaveText("Seats (Free): 1 of 2 taken");

    // Lou takes the place Pat gave back and comes without the code: found by name at the door,
    // and checked in from the row.
    await takeFilmNightTicket(browser, "Lou Late", "lou@example.org");
    await expect(admin.getByTestId("ticket-row")).toHaveCount(3);
    await admin.getByLabel("Find a ticket").fill("lou");
    await admin.getByRole("button", { name: "Search" }).click();
    await expect(admin.getByTestId("ticket-row")).toHaveCount(1);
    await expect(admin.getByTestId("ticket-row")).toContainText("Lou Late");
    await admin.getByRole("button", { name: "Check in Lou Late" }).click();
    await expect(admin.getByTestId("checked-in-result")).toHaveText("Checked in: Lou Late (Seats).");
    await expect(admin.getByTestId("checked-in")).toHaveText("2 checked in");
    await expect(admin.getByRole("button", { name: "Check in Lou Late" })).toHaveCount(0);
    await admin.getByRole("link", { name: "Show every ticket" }).click();
    await expect(admin.getByTestId("ticket-row")).toHaveCount(3);

    // A word to everyone holding a ticket (Sam and Lou; Pat gave hers back).
    await admin.getByLabel("Subject").fill("Doors open at 18:30");
    await admin.getByLabel("Message").fill("Bring a cushion: the seats are hard.");
    await admin.getByRole("button", { name: "Send to 2 ticket holders" }).click();
    await expect(admin.getByTestId("holders-email-result")).toHaveText("Queued 2 emails: see the email queue.");
    await expect(admin.getByLabel("Subject")).toHaveValue("");

    // Cancelled after a confirmation: the ticket says so.
    admin.once("dialog", (dialog) => dialog.accept());
    await admin.getByRole("button", { name: "Cancel event" }).click();
    await expect(admin.getByTestId("event-status")).toHaveText("Cancelled");
    await visitor.reload();
    await expect(visitor.getByTestId("ticket-status")).toHaveText("This ticket is cancelled.");
    // The list of events fits a phone, the date under the title.
    await admin.goto(`${server.baseURL}/admin/ticketed-events`);
    await ready(admin);
    await expectFitsPhone(admin, "the ticketed events", async () => {
      await expect(admin.getByTestId("event-row")).toContainText(/Film night\n.*19:00/, { useInnerText: true });
    });
  });
  test("a pay-what-you-can tier asks what the visitor pays: too little is named, nothing takes a ticket at once", async ({
    browser,
  }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/ticketed-events");
    await admin.getByLabel("Title", { exact: true }).fill("Open rehearsal");
    await admin.getByLabel("Venue").fill("Riverside Hall");
    await admin.getByLabel("Date").fill(tomorrow());
    await admin.getByLabel("Starts").fill("18:00");
    await admin.getByLabel("Ends").fill("20:00");
    await admin.getByLabel(/^Tickets, one tier per line/).fill("Seats | 5 | 10\nSolidarity | 5 | pay what you can");
    await admin.getByRole("button", { name: "Save event" }).click();
    // The list shows each event's status too: wait for the new event's own page.
    await expect(admin.getByRole("heading", { name: "Open rehearsal" })).toBeVisible();
    await expect(admin.getByTestId("event-status")).toHaveText("Draft");
    await ready(admin);
    await admin.getByRole("button", { name: "Publish" }).click();
    await expect(admin.getByTestId("event-status")).toHaveText("Published");
    await expect(admin.getByTestId("tier").nth(1)).toHaveText("Solidarity (Pay what you can): 0 of 5 taken");
    // A colleague moves it upstairs while this page's form is open: the page shows the new venue
    // at once, and a save from the form opened before, which would move it back, is refused.
    const colleague = await browser.newPage({ storageState: await admin.context().storageState() });
    await colleague.goto(admin.url());
    await ready(colleague);
    await expect(colleague.getByLabel("Remind ticket holders")).toHaveValue("24");
    await colleague.getByLabel("Venue").fill("Riverside Hall, upstairs");
    await colleague.getByLabel("Remind ticket holders").selectOption("A week before");
    await colleague.getByRole("button", { name: "Save event" }).click();
    await expect(colleague.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
    await colleague.close();
    await expect(admin.getByText(/· Riverside Hall, upstairs$/)).toBeVisible();
    await expect(admin.getByTestId("reminder")).toHaveText("Ticket holders are reminded a week before.");
    await admin.getByLabel("Title", { exact: true }).fill("Open rehearsal, full cast");
    await admin.getByRole("button", { name: "Save event" }).click();
    await expect(admin.getByText(/Someone else saved changes to this event/)).toBeVisible();
    await expect(admin.getByRole("heading", { level: 1 })).toHaveText("Open rehearsal");

    // Payments are off: the seats cannot be paid for, and nothing asks for an amount.
    const visitor = await (await browser.newContext()).newPage();
    await visitor.goto(`${server.baseURL}/events/open-rehearsal`);
    await ready(visitor);
    await expect(visitor.getByTestId("tier-choice")).toHaveText([
      "Seats — $10.00 — not on sale online right now",
      "Solidarity — Pay what you can — 5 tickets left",
    ]);
    await expect(visitor.getByLabel(/^Seats/)).toBeDisabled();
    await expect(visitor.getByLabel(/^Solidarity/)).toBeChecked();
    await expect(visitor.getByLabel("What you pay, in dollars")).toHaveCount(0);

    const settings = {
      "form[enabled]": "true",
      "form[currency]": "cad",
      "form[publishable_key]": "pk_test_51FakePublishableKey",
      "form[secret_key]": SECRET_KEY,
      "form[webhook_secret]": WEBHOOK_SECRET,
    };
    expect((await admin.request.post(`${server.baseURL}/api/payments/save-settings`, { form: settings })).status()).toBe(200);
    await visitor.reload();
    await ready(visitor);
    await expect(visitor.getByTestId("tier-choice")).toHaveText([
      "Seats — $10.00 — 5 tickets left",
      "Solidarity — Pay what you can — 5 tickets left",
    ]);
    // The amount is asked only while a pay-what-you-can ticket is chosen.
    await expect(visitor.getByLabel("What you pay, in dollars")).toBeHidden();
    await visitor.getByLabel(/^Solidarity/).check();
    await expect(visitor.getByLabel("What you pay, in dollars")).toBeVisible();
    await expect(visitor.getByLabel("What you pay, in dollars")).toHaveAttribute("inputmode", "decimal");
    await visitor.getByLabel("What you pay, in dollars").fill("0.50");
    await visitor.getByLabel("Your name").fill("Lee Low");
    await visitor.getByLabel("Your email").fill("lee@example.org");
    await visitor.getByRole("button", { name: "Get my ticket" }).click();
    await expect(visitor.getByTestId("error-form[amount]")).toHaveText(
      "Enter nothing for a free ticket, or an amount from $1.00, like 10 or 12.50.",
    );
    await visitor.getByLabel("What you pay, in dollars").fill("");
    await visitor.getByRole("button", { name: "Get my ticket" }).click();
    await expect(visitor).toHaveURL(/\/ticket\?code=/);
    await expect(visitor.getByTestId("ticket-status")).toContainText("Show this code at the door.");
    await expect(admin.getByTestId("tier").nth(1)).toHaveText("Solidarity (Pay what you can): 1 of 5 taken");
  });
});
