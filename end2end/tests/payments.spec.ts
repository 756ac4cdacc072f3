import { expect } from "@playwright/test";
import { FakeStripe, SECRET_KEY, signedEvent, startFakeStripe, WEBHOOK_SECRET } from "./fake-stripe";
import { expectFitsPhone, ready, signIn, startWithAdmin, test, tomorrow, violations } from "./helpers";
import { RunningServer } from "./server";

test.describe.serial("payments", () => {
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

  /** Stripe tells the server that the last checkout (for `metadata`) was paid. */
  async function checkoutPaid(eventId: string, paymentIntent: string, metadata: Record<string, string>) {
    const { body, signature } = signedEvent(eventId, "checkout.session.completed", {
      id: `cs_test_${eventId}`,
      object: "checkout.session",
      payment_status: "paid",
      status: "complete",
      payment_intent: paymentIntent,
      metadata,
    });
    const res = await fetch(`${server.baseURL}/api/payments/webhook`, {
      method: "POST",
      headers: { "stripe-signature": signature, "content-type": "application/json" },
      body,
    });
    expect(res.status).toBe(200);
  }

  test("saved keys come back masked, survive an unchanged save and still work", async ({ page }) => {
    await signIn(page, server, "/admin/payments/settings");
    // Payments cannot be turned on before a secret key is saved; the reason is read with the switch.
    await page.getByLabel("Take payments").check();
    await page.getByRole("button", { name: "Save payment settings" }).click();
    await expect(page.getByLabel("Take payments")).toHaveAccessibleDescription(
      "Save a Stripe secret key before turning payments on.",
    );
    await expect(page.getByTestId("save-result")).toHaveText("");
    // Nothing was saved: loaded again, payments are still off.
    await page.reload();
    await ready(page);
    await expect(page.getByLabel("Take payments")).not.toBeChecked();

    await page.getByLabel("Take payments").check();
    await page.getByLabel("Publishable key").fill("pk_test_51FakePublishableKey");
    await page.getByLabel("Secret key").fill(SECRET_KEY);
    await page.getByLabel("Webhook signing secret").fill(WEBHOOK_SECRET);
    await page.getByRole("button", { name: "Save payment settings" }).click();
    await expect(page.getByTestId("save-result")).toHaveText("Saved.");
    // The typed keys give way to their masks at once.
    await expect(page.getByLabel("Secret key")).toHaveValue("sk_test_…4242");
    await expect(page.getByLabel("Webhook signing secret")).toHaveValue("whsec_…9876");

    await page.reload();
    await ready(page);
    await expect(page.getByLabel("Secret key")).toHaveValue("sk_test_…4242");
    await expect(page.getByLabel("Webhook signing secret")).toHaveValue("whsec_…9876");
    expect(await page.content()).not.toContain(SECRET_KEY);

    // Saving the form as shown keeps the keys: the connection test still gets through.
    await page.getByRole("button", { name: "Save payment settings" }).click();
    await expect(page.getByTestId("save-result")).toHaveText("Saved.");
    await page.getByRole("button", { name: "Test connection" }).click();
    await expect(page.getByTestId("test-result")).toHaveText("Connected to Stripe (test mode).");
  });

  test("a supporter donates; the signed webhook marks it paid, live and in the list", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/events/live");
    await expect(admin.getByTestId("connection")).toHaveText("Connected");

    const supporter = await (await browser.newContext()).newPage();
    await supporter.goto(`${server.baseURL}/donate`);
    await ready(supporter);
    const amount = supporter.getByLabel("Amount (dollars)");
    // Phones show a number pad for it.
    await expect(amount).toHaveAttribute("inputmode", "decimal");
    const submit = supporter.getByRole("button", { name: "Continue to payment" });
    await amount.fill("100000.01");
    await expect(supporter.getByTestId("error-form[amount]")).toHaveText(
      "Enter an amount from $1.00 to $100,000.00, like 25 or 25.50.",
    );
    await expect(amount).toHaveAccessibleDescription("Enter an amount from $1.00 to $100,000.00, like 25 or 25.50.");
    await expect(submit).toBeDisabled();
    await amount.fill("25");
    await expect(supporter.getByTestId("error-form[amount]")).toHaveText("");
    await supporter.getByLabel("Your name").fill("Dana Donor");
    await supporter.getByLabel("Email (for your receipt)").fill("dana@example.org");
    await submit.click();
    await expect(supporter).toHaveURL(new RegExp(`^${stripe.baseURL}/checkout/cs_test_`));
    await expect(supporter.getByRole("heading", { name: "Fake Stripe Checkout" })).toBeVisible();

    // Stripe tells the server the checkout was paid.
    const donationId = stripe.sessions[stripe.sessions.length - 1]["metadata[donation_id]"];
    await checkoutPaid("evt_e2e_paid", "pi_test_e2e", { donation_id: donationId });
    await expect(admin.getByTestId("live-event").filter({ hasText: "donation.completed" })).toHaveCount(1);

    await admin.goto(`${server.baseURL}/admin/payments`);
    await ready(admin);
    const row = admin.getByTestId("payment-row").filter({ hasText: "dana@example.org" });
    await expect(row).toContainText("$25.00");
    await expect(row).toContainText("Paid");
    await expect(admin.getByTestId("payments-summary")).toHaveText("1 donation · kept after refunds: $25.00");
    // On a phone the list fits, with the refund; when and what are under the supporter.
    await expectFitsPhone(admin, "the payments", async () => {
      await expect(row).toContainText(/dana@example\.org\n.* · One-off\s+\$25\.00\s+Paid/, { useInnerText: true });
      await expect(row.getByRole("button", { name: "Refund" })).toBeVisible();
    });
    // The chart: today's bar holds the donation; switching to weeks redraws it in place.
    const bars = admin.getByTestId("chart-bar");
    await expect(bars).toHaveCount(30);
    await expect(bars.last()).toHaveAttribute("aria-label", /: \$25\.00 from 1 donation$/);
    await admin.getByRole("button", { name: "Last 12 weeks" }).click();
    await expect(bars).toHaveCount(12);
    await expect(bars.last()).toHaveAttribute("aria-label", /: \$25\.00 from 1 donation$/);
  });

  test("a visitor buys a paid ticket on Stripe's page; the webhook issues it, shown live; the cancelled event's paid tickets are refunded at once", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/ticketed-events");
    await admin.getByLabel("Title", { exact: true }).fill("Concert");
    await admin.getByLabel("Venue").fill("Town Hall");
    await admin.getByLabel("Date").fill(tomorrow());
    await admin.getByLabel("Starts").fill("20:00");
    await admin.getByLabel("Ends").fill("22:00");
    await admin.getByLabel(/^Tickets, one tier per line/).fill("Seats | 2 | 15");
    await admin.getByRole("button", { name: "Save event" }).click();
    await expect(admin.getByRole("heading", { name: "Concert" })).toBeVisible();
    await ready(admin);
    await admin.getByRole("button", { name: "Publish" }).click();
    await expect(admin.getByTestId("event-status")).toHaveText("Published");
    await expect(admin.getByTestId("tier")).toHaveText("Seats ($15.00): 0 of 2 taken");

    const visitor = await (await browser.newContext()).newPage();
    await visitor.goto(`${server.baseURL}/events/concert`);
    await ready(visitor);
    await expect(visitor.getByTestId("tier-choice")).toHaveText("Seats — $15.00 — 2 tickets left");
    await visitor.getByLabel("Your name").fill("Pat Payer");
    await visitor.getByLabel("Your email").fill("pat@example.org");
    await visitor.getByRole("button", { name: "Get my ticket" }).click();
    await expect(visitor).toHaveURL(new RegExp(`^${stripe.baseURL}/checkout/cs_test_`));
    // The place is held while Pat pays (a checkout publishes no event: the page is reloaded).
    await admin.reload();
    await ready(admin);
    await expect(admin.getByTestId("tier")).toHaveText("Seats ($15.00): 1 of 2 taken");
    await expect(admin.getByText("No tickets taken yet.")).toBeVisible();

    const orderId = stripe.sessions[stripe.sessions.length - 1]["metadata[ticket_order_id]"];
    await checkoutPaid("evt_e2e_ticket", "pi_test_e2e_ticket", { ticket_order_id: orderId });
    await expect(admin.getByTestId("ticket-row")).toHaveCount(1);
    await expect(admin.getByTestId("ticket-row")).toContainText("Pat Payer");
    // A paid ticket is cancelled by refunding it: the event page offers no Cancel for it.
    await expect(admin.getByTestId("ticket-row").getByRole("button", { name: "Cancel" })).toHaveCount(0);

    // Back from Stripe, Pat is told the ticket comes by email.
    await visitor.goto(`${server.baseURL}/events/concert?paid=1`);
    await expect(visitor.getByTestId("paid-thanks")).toContainText("Your ticket will be emailed to you");

    await admin.goto(`${server.baseURL}/admin/payments?kind=ticket`);
    const row = admin.getByTestId("payment-row").filter({ hasText: "pat@example.org" });
    await expect(row).toContainText("Concert — Seats");
    await expect(row).toContainText("$15.00");

    // The concert is cancelled; its paid tickets are refunded all at once.
    await admin.goto(`${server.baseURL}/admin/ticketed-events`);
    await admin.getByRole("link", { name: "Concert" }).click();
    await ready(admin);
    admin.once("dialog", (dialog) => dialog.accept());
    await admin.getByRole("button", { name: "Cancel event" }).click();
    await expect(admin.getByTestId("event-status")).toHaveText("Cancelled");
    await expect(admin.getByTestId("paid-to-refund")).toContainText("1 paid ticket still to refund");
    await admin.goto(`${server.baseURL}/admin/payments?kind=ticket`);
    await ready(admin);
    const toRefund = admin.getByTestId("event-to-refund");
    await expect(toRefund).toContainText("Concert — 1 paid ticket ($15.00)");
    admin.once("dialog", (dialog) => dialog.accept());
    await toRefund.getByRole("button", { name: "Refund all" }).click();
    await expect(admin.getByTestId("job-summary")).toHaveText("Refunded 1 paid ticket.");
    expect(stripe.refunds.map((r) => r.payment_intent)).toContain("pi_test_e2e_ticket");
  });

  test("the donor's contact shows the donation on its timeline and takes tags", async ({ page }) => {
    await signIn(page, server, "/admin/payments");
    await page.getByTestId("payment-row").filter({ hasText: "dana@example.org" }).getByRole("link", { name: "Dana Donor" }).click();
    await expect(page.getByRole("heading", { name: "Dana Donor" })).toBeVisible();
    await ready(page);
    // The CRM-activity listener writes the timeline just after the webhook's commit.
    await expect(async () => {
      await page.reload();
      await ready(page);
      await expect(page.getByTestId("activity").first()).toContainText("Donated $25.00", { timeout: 1000 });
    }).toPass();
    await expect(page.getByTestId("contact-score")).toContainText("Engagement score 50");
    await expect(page.getByTestId("contact-payment")).toContainText("donation one-off · $25.00 · paid");

    await page.getByLabel("Add tags (comma-separated)").fill("Donor, ward 7");
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await expect(page.getByTestId("tag")).toHaveText([/^donor/, /^ward 7/]);
    await expect(page.getByLabel("Add tags (comma-separated)")).toHaveValue("");
    await page.getByRole("button", { name: "Remove tag ward 7" }).click();
    await expect(page.getByTestId("tag")).toHaveText([/^donor/]);

    await page.goto(`${server.baseURL}/admin/contacts?tag=donor`);
    await ready(page);
    await expect(page.getByTestId("contact-row")).toHaveCount(1);
    await expect(page.getByTestId("contact-row")).toContainText("dana@example.org");
  });

  test("the payments page follows new payments live; an amount typed for a refund stays with its payment", async ({
    browser,
  }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/payments");
    await ready(admin);
    const rows = admin.getByTestId("payment-row");
    const dana = rows.filter({ hasText: "dana@example.org" });
    await expect(rows).toHaveCount(1);
    await dana.getByLabel("Amount to refund (empty: all)").fill("5");

    // Another supporter gives while the page is open.
    const supporter = await (await browser.newContext()).newPage();
    await supporter.goto(`${server.baseURL}/donate`);
    await ready(supporter);
    await supporter.getByLabel("Amount (dollars)").fill("10");
    await supporter.getByLabel("Your name").fill("Eve Giver");
    await supporter.getByLabel("Email (for your receipt)").fill("eve@example.org");
    await supporter.getByRole("button", { name: "Continue to payment" }).click();
    await expect(supporter).toHaveURL(new RegExp(`^${stripe.baseURL}/checkout/cs_test_`));
    const donationId = stripe.sessions[stripe.sessions.length - 1]["metadata[donation_id]"];
    await checkoutPaid("evt_e2e_paid_eve", "pi_test_e2e_eve", { donation_id: donationId });

    // Shown without a reload, newest first, and counted in the total.
    await expect(rows.first()).toContainText("eve@example.org");
    await expect(rows.first()).toContainText("Paid");
    await expect(admin.getByTestId("payments-summary")).toContainText("2 donations · kept after refunds: $35.00");
    // What was typed on Dana's row is still on Dana's row, and the refund names whom it is for.
    await expect(dana.getByLabel("Amount to refund (empty: all)")).toHaveValue("5");
    await expect(rows.first().getByLabel("Amount to refund (empty: all)")).toHaveValue("");
    const asked = new Promise<string>((answer) =>
      admin.once("dialog", (dialog) => {
        answer(dialog.message());
        dialog.dismiss();
      }),
    );
    await dana.getByRole("button", { name: "Refund" }).click();
    expect(await asked).toBe("Refund $5 to Dana Donor (dana@example.org) through Stripe? This cannot be undone.");
    expect(stripe.refunds.map((r) => r.payment_intent)).not.toContain("pi_test_e2e");
  });

  test("products: the form empties once one is added, and what was typed never carries over to another", async ({ page }) => {
    await signIn(page, server, "/admin/payments/products");
    const name = page.getByLabel("Name", { exact: true });
    const addProduct = async (productName: string, price: string) => {
      await name.fill(productName);
      await page.getByLabel("Price (dollars)").fill(price);
      await page.getByRole("button", { name: "Save product" }).click();
      await expect(page.getByTestId("product-row").filter({ hasText: productName })).toBeVisible();
      await expect(name).toHaveValue("");
    };
    // The address is left empty: it is made from the name.
    await addProduct("Tote bag", "15");
    await addProduct("Mug", "9");
    const row = (productName: string) => page.getByTestId("product-row").filter({ hasText: productName });
    await row("Tote bag").getByRole("button", { name: "Edit" }).click();
    await expect(name).toHaveValue("Tote bag");
    await name.fill("Tote bag XL");
    // Editing another product shows that one, not the name typed for the first.
    await row("Mug").getByRole("button", { name: "Edit" }).click();
    await expect(name).toHaveValue("Mug");
    await page.getByRole("button", { name: "Cancel" }).click();
    await expect(name).toHaveValue("");
    await expect(row("Tote bag")).toBeVisible();

    // A colleague raises the mug's price while this page's form for it is open: saving the form,
    // which holds the old price, is refused; reloading shows the colleague's.
    await ready(page);
    await row("Mug").getByRole("button", { name: "Edit" }).click();
    const colleague = await page.context().newPage();
    await colleague.goto(`${server.baseURL}/admin/payments/products`);
    await ready(colleague);
    await colleague.getByTestId("product-row").filter({ hasText: "Mug" }).getByRole("button", { name: "Edit" }).click();
    await colleague.getByLabel("Price (dollars)").fill("10");
    await colleague.getByRole("button", { name: "Save product" }).click();
    await expect(colleague.getByTestId("product-row").filter({ hasText: "Mug" })).toContainText("$10.00");
    await colleague.close();
    await name.fill("Large mug");
    await page.getByRole("button", { name: "Save product" }).click();
    await expect(page.getByText(/Someone else saved changes to this product/)).toBeVisible();
    await page.reload();
    await expect(row("Mug")).toContainText("$10.00");
    await expect(row("Large mug")).toHaveCount(0);
    await expectFitsPhone(page, "the products", async () => {
      await expect(row("Mug")).toContainText(/Mug\nSold 0 \/ no limit · on sale\s+\$10\.00/, { useInnerText: true });
    });

    await page.goto(`${server.baseURL}/shop`);
    await page.getByRole("link", { name: /Tote bag/ }).first().click();
    await expect(page).toHaveURL(/\/shop\/tote-bag$/);
    await page.getByRole("link", { name: "← All products" }).click();
    await expect(page).toHaveURL(/\/shop$/);
  });

  test("an admin offers two plans; a supporter joins the yearly one; the webhook makes them a member", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/payments/plans");
    const addPlan = async (name: string, amount: string, billed: string) => {
      await admin.getByLabel("Name", { exact: true }).fill(name);
      await admin.getByLabel("Amount (dollars)").fill(amount);
      await admin.getByLabel("Billed").selectOption(billed);
      await admin.getByRole("button", { name: "Save plan" }).click();
      await expect(admin.getByTestId("plan-row").filter({ hasText: name })).toBeVisible();
    };
    await addPlan("Friend", "5", "Monthly");
    await addPlan("Sustainer", "120", "Yearly");
    await expect(admin.getByTestId("plan-row").filter({ hasText: "Sustainer" })).toContainText("$120.00 a year");

    // One form for both plans: its fields' labels name one field each.
    const supporter = await (await browser.newContext()).newPage();
    await supporter.goto(`${server.baseURL}/membership`);
    await ready(supporter);
    await expect(supporter.getByTestId("plan")).toHaveText(["Friend — $5.00 a month", "Sustainer — $120.00 a year"]);
    expect(await violations(supporter)).toEqual([]);
    await expect(supporter.getByRole("radio", { name: /Friend/ })).toBeChecked();
    await supporter.getByRole("radio", { name: /Sustainer/ }).check();
    await supporter.getByRole("button", { name: "Continue to payment" }).click();
    await expect(supporter.getByTestId("error-form[name]")).toHaveText("Enter a name.");
    await supporter.getByLabel("Your name").fill("Max Member");
    await supporter.getByLabel("Email (for your receipt)").fill("max@example.org");
    await supporter.getByRole("button", { name: "Continue to payment" }).click();
    await expect(supporter).toHaveURL(new RegExp(`^${stripe.baseURL}/checkout/cs_test_`));
    const session = stripe.sessions[stripe.sessions.length - 1];
    expect([session["mode"], session["line_items[0][price_data][unit_amount]"]]).toEqual(["subscription", "12000"]);
    expect(session["line_items[0][price_data][recurring][interval]"]).toBe("year");

    const { body, signature } = signedEvent("evt_e2e_member", "checkout.session.completed", {
      id: "cs_test_member",
      object: "checkout.session",
      mode: "subscription",
      payment_status: "paid",
      status: "complete",
      subscription: "sub_test_member",
      customer: "cus_test_member",
      metadata: { subscription_id: session["metadata[subscription_id]"] },
    });
    const res = await fetch(`${server.baseURL}/api/payments/webhook`, {
      method: "POST",
      headers: { "stripe-signature": signature, "content-type": "application/json" },
      body,
    });
    expect(res.status).toBe(200);
    await admin.goto(`${server.baseURL}/admin/payments?kind=subscription`);
    await ready(admin);
    const row = admin.getByTestId("payment-row").filter({ hasText: "max@example.org" });
    await expect(row).toContainText("Sustainer");
    await expect(row).toContainText("Active");
    await expect(admin.getByTestId("payments-summary")).toHaveText("1 subscription · active ones bring in $10.00 a month");
  });
});
