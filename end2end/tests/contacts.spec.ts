import { expect } from "@playwright/test";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createShift, expectFitsPhone, ready, signIn, signUp, startWithAdmin, test, tomorrow, violations } from "./helpers";
import { RunningServer } from "./server";

test.describe.serial("contacts", () => {
  let server: RunningServer;

  test.beforeAll(async ({ browser }) => {
    server = await startWithAdmin(browser);
  });

  test.afterAll(async () => {
    await server.stop();
  });

  test("an admin previews a CSV import, sees bad rows by line, imports the rest with a progress bar", async ({
    browser,
  }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/contacts");
    await admin.getByRole("link", { name: "Import CSV" }).click();
    await expect(admin.getByRole("heading", { name: "Import contacts" })).toBeVisible();
    // A file as a spreadsheet on Windows saves it (Windows-1252, not UTF-8) reads with its accents.
    await admin.getByLabel("CSV file").setInputFiles({
      name: "windows.csv",
      mimeType: "text/csv",
      buffer: Buffer.from("name;email\r\nZoë Müller;zoe@example.org\r\n", "latin1"),
    });
    await expect(admin.getByLabel("…or paste it here")).toHaveValue(/Zoë Müller;zoe@example.org/);
    const rows = ["name,email,tags", "Ada Lovelace,ada@example.org,donor; ward 7", "No Email,,", "Grace Hopper,grace@example.org,"];
    await admin.getByLabel("CSV file").setInputFiles({
      name: "people.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(rows.join("\n")),
    });
    await expect(admin.getByLabel("…or paste it here")).toHaveValue(/Grace Hopper/);
    await admin.getByRole("button", { name: "Preview" }).click();
    await expect(admin.getByTestId("import-counts")).toHaveText(
      "3 rows: 2 new contacts, 0 already on file, 1 with problems (skipped).",
    );
    await expect(admin.getByTestId("import-row")).toHaveCount(2);
    await expect(admin.getByTestId("import-problems")).toContainText("Line 3: Enter a valid email address");

    admin.once("dialog", (dialog) => dialog.accept());
    await admin.getByRole("button", { name: "Import 2 contacts" }).click();
    const job = admin.getByTestId("job");
    await expect(job).toHaveAttribute("data-status", "DONE");
    await expect(admin.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "100");
    await expect(admin.getByTestId("job-summary")).toHaveText(
      "Imported 2 new contacts and updated 0. 1 row was skipped: see its line below.",
    );
    await expect(admin.getByTestId("job-problems")).toContainText("Line 3:");

    await admin.goto(`${server.baseURL}/admin/contacts?tag=donor`);
    await expect(admin.getByTestId("contact-row")).toHaveCount(1);
    await expect(admin.getByTestId("contact-row")).toContainText("Ada Lovelace");
    await expect(admin.getByTestId("contact-row")).toContainText("ward 7");

    // Merging asks first, and once the page's code is there (before it, the button is off).
    await admin.getByRole("link", { name: "Ada Lovelace" }).click();
    await ready(admin);
    await admin.getByLabel("Email of the duplicate contact").fill("grace@example.org");
    admin.once("dialog", (dialog) => dialog.dismiss());
    await admin.getByRole("button", { name: "Merge", exact: true }).click();
    await admin.goto(`${server.baseURL}/admin/contacts`);
    await expect(admin.getByTestId("contact-row")).toHaveCount(2);
    await admin.getByRole("link", { name: "Ada Lovelace" }).click();
    await ready(admin);
    await admin.getByLabel("Email of the duplicate contact").fill("grace@example.org");
    admin.once("dialog", (dialog) => dialog.accept());
    await admin.getByRole("button", { name: "Merge", exact: true }).click();
    await expect(admin.getByText("Merged.")).toBeVisible();
    await admin.goto(`${server.baseURL}/admin/contacts`);
    await expect(admin.getByTestId("contact-row")).toHaveCount(1);
  });

  test("an admin adds someone met at a stall, then corrects their details", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/contacts");
    await admin.getByText("Add a contact").click();
    const add = admin.getByTestId("add-contact");
    await add.getByLabel("Name").fill("Fannie Lou Hamer");
    await add.getByLabel("Email").fill("fannie@example.org");
    await add.getByLabel("Phone (optional)").fill("+1 555 0142");
    await add.getByRole("button", { name: "Add contact" }).click();
    await expect(admin.getByRole("heading", { name: "Fannie Lou Hamer" })).toBeVisible();
    await expect(admin).toHaveURL(/\/admin\/contacts\/[0-9a-f-]+$/);
    await expect(admin.getByText("fannie@example.org · +1 555 0142")).toBeVisible();
    await expect(admin.getByTestId("contact-score")).toContainText("(ADMIN)");

    // A refused edit keeps the form open with the reason beside its field; a good one shows at once.
    await ready(admin);
    await admin.getByText("Edit details").click();
    const edit = admin.getByTestId("edit-contact");
    await edit.getByLabel("Email").fill("ada@example.org");
    await edit.getByRole("button", { name: "Save details" }).click();
    await expect(edit.getByTestId("error-form[email]")).toContainText("A contact with this email already exists.");
    await edit.getByLabel("Email").fill("fannie.hamer@example.org");
    await edit.getByLabel("Phone (optional)").fill("");
    await edit.getByRole("button", { name: "Save details" }).click();
    await expect(admin.getByRole("status").filter({ hasText: "Details saved." })).toBeVisible();
    await expect(admin.getByText("fannie.hamer@example.org", { exact: true })).toBeVisible();
    // The same form saves again (it follows its own saves), and each save closes it.
    await expect(edit.getByLabel("Name")).toBeHidden();
    await admin.getByText("Edit details").click();
    await edit.getByLabel("Phone (optional)").fill("+1 555 0142");
    await edit.getByRole("button", { name: "Save details" }).click();
    await expect(admin.getByText("fannie.hamer@example.org · +1 555 0142")).toBeVisible();
    await expect(edit.getByLabel("Name")).toBeHidden();

    // Tags being typed stay while a colleague tags the same contact: their tag shows at once.
    await admin.getByLabel("Add tags (comma-separated)").fill("stall, summer fair");
    const colleague = await browser.newPage({ storageState: await admin.context().storageState() });
    await colleague.goto(admin.url());
    await ready(colleague);
    await colleague.getByLabel("Add tags (comma-separated)").fill("volunteer");
    await colleague.getByRole("button", { name: "Add", exact: true }).click();
    await expect(colleague.getByTestId("tag")).toHaveText([/^volunteer/]);
    // The colleague also changes her phone, while this page's edit form is open.
    await admin.getByText("Edit details").click();
    await colleague.getByText("Edit details").click();
    await colleague.getByTestId("edit-contact").getByLabel("Phone (optional)").fill("+1 555 0199");
    await colleague.getByTestId("edit-contact").getByRole("button", { name: "Save details" }).click();
    await expect(colleague.getByRole("status").filter({ hasText: "Details saved." })).toBeVisible();
    await colleague.close();
    await expect(admin.getByTestId("tag")).toHaveText([/^volunteer/]);
    await expect(admin.getByText("fannie.hamer@example.org · +1 555 0199")).toBeVisible();
    // This page's form, opened before, would put the old phone back: its save is refused.
    await edit.getByLabel("Name").fill("Fannie L. Hamer");
    await edit.getByRole("button", { name: "Save details" }).click();
    await expect(edit.getByText(/Someone else saved changes to this contact/)).toBeVisible();
    await expect(admin.getByRole("heading", { level: 1 })).toHaveText("Fannie Lou Hamer");
    await expect(admin.getByLabel("Add tags (comma-separated)")).toHaveValue("stall, summer fair");
    await admin.getByRole("button", { name: "Add", exact: true }).click();
    await expect(admin.getByTestId("tag")).toHaveCount(3);
    await expect(admin.getByLabel("Add tags (comma-separated)")).toHaveValue("");

    // A note for the team: an empty one is refused beside its box; a good one shows signed and
    // dated, and the box empties; deleting asks first.
    const notes = admin.getByTestId("contact-notes");
    const noteBox = notes.getByLabel("A note for the team (a call, what they offered)");
    await expect(notes).toContainText("No notes yet.");
    await notes.getByRole("button", { name: "Add note" }).click();
    await expect(notes.getByTestId("error-body")).toHaveText("Write the note: at most 2,000 characters.");
    await noteBox.fill("Called: would host a house party.\nCall back Friday.");
    await notes.getByRole("button", { name: "Add note" }).click();
    const note = notes.getByTestId("contact-note");
    await expect(note).toHaveCount(1);
    await expect(note).toContainText("Called: would host a house party.\nCall back Friday.", { useInnerText: true });
    await expect(note).toContainText(/ · \d{4}-\d\d-\d\d \d\d:\d\d/);
    await expect(noteBox).toHaveValue("");
    await expect(notes.getByTestId("error-body")).toHaveText("");
    expect(await violations(admin), "a contact's notes").toEqual([]);
    // Its author rewrites it: Cancel leaves it as it was; Save shows the new words, edited.
    const editNote = note.getByRole("button", { name: /^Edit the note of \d{4}-\d\d-\d\d / });
    await editNote.click();
    const rewrite = note.getByLabel("The note", { exact: true });
    await expect(rewrite).toHaveValue("Called: would host a house party.\nCall back Friday.");
    await rewrite.fill("Scribbled");
    await note.getByRole("button", { name: "Cancel" }).click();
    await expect(note).toContainText("Call back Friday.");
    await editNote.click();
    await expect(rewrite).toHaveValue("Called: would host a house party.\nCall back Friday.");
    expect(await violations(admin), "a note being rewritten").toEqual([]);
    await rewrite.fill("Called: will host on the 12th.");
    await note.getByRole("button", { name: "Save note" }).click();
    await expect(note).toContainText("Called: will host on the 12th.");
    await expect(note).toContainText(/ · edited \d{4}-\d\d-\d\d \d\d:\d\d/);
    await expect(note.getByTestId("edit-note")).toHaveCount(0);
    admin.once("dialog", (dialog) => {
      expect(dialog.message()).toBe("Delete this note? This cannot be undone.");
      dialog.dismiss();
    });
    await note.getByRole("button", { name: /^Delete the note of \d{4}-\d\d-\d\d / }).click();
    await expect(note).toHaveCount(1);
    admin.once("dialog", (dialog) => dialog.accept());
    await note.getByRole("button", { name: /^Delete the note of \d{4}-\d\d-\d\d / }).click();
    await expect(note).toHaveCount(0);
    await expect(notes).toContainText("No notes yet.");

    // Adding the same person twice is refused with the way to make two contacts one.
    await admin.goto(`${server.baseURL}/admin/contacts`);
    await admin.getByText("Add a contact").click();
    await add.getByLabel("Name").fill("Fannie Hamer");
    await add.getByLabel("Email").fill("FANNIE.HAMER@example.org");
    await add.getByRole("button", { name: "Add contact" }).click();
    await expect(add.getByTestId("error-form[email]")).toContainText("merge them");
    await expect(admin.getByTestId("contact-row").filter({ hasText: "Fannie" })).toHaveCount(1);
  });

  test("volunteers who sign up appear on the engagement leaderboard, ranked by their points", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/shifts");
    await createShift(admin, "Phone bank", 5);
    await createShift(admin, "Stall", 5);
    const volunteer = await (await browser.newContext()).newPage();
    await signUp(volunteer, server, "Phone bank", 7);
    await signUp(volunteer, server, "Stall", 7);
    await signUp(volunteer, server, "Stall", 8);
    // The home page counts them, without names, once the live-stats listener has had them (a
    // page loaded before that shows the count before).
    await expect(async () => {
      await volunteer.goto(`${server.baseURL}/`);
      await expect(volunteer.getByTestId("home-counter")).toHaveText(["3volunteer sign-ups"], { timeout: 1000 });
    }).toPass();
    await expect(volunteer.getByTestId("home-latest").first()).toContainText("Someone signed up for Stall · just now");
    await expect(volunteer.getByTestId("home-impact")).not.toContainText("Volunteer 8");

    await admin.goto(`${server.baseURL}/admin/contacts`);
    await admin.getByRole("link", { name: "Leaderboard" }).click();
    await expect(admin.getByRole("heading", { name: "Engagement leaderboard" })).toBeVisible();
    const rows = admin.getByTestId("leaderboard-row");
    // Rank, contact, score, activities, once the timeline's listener has had every sign-up.
    await expect(async () => {
      await admin.reload();
      await expect(rows).toHaveCount(2, { timeout: 1000 });
      await expect(rows.nth(0).getByRole("cell")).toHaveText(["1", /^Volunteer 7v7@example\.org/, "40", "2", /./], {
        timeout: 1000,
      });
      await expect(rows.nth(1).getByRole("cell")).toHaveText(["2", /^Volunteer 8v8@example\.org/, "20", "1", /./], {
        timeout: 1000,
      });
    }).toPass();
    await expectFitsPhone(admin, "the leaderboard", async () => {
      await expect(rows.nth(0)).toContainText(/Volunteer 7\nv7@example\.org\n2 activities · last active .*\s+40/, { useInnerText: true });
    });
    await admin.getByRole("link", { name: "All time" }).click();
    await expect(admin).toHaveURL(/days=0$/);
    await expect(rows.nth(0)).toContainText("Volunteer 7");
    await rows.nth(0).getByRole("link", { name: "Volunteer 7" }).click();
    await expect(admin.getByTestId("contact-score")).toContainText("Engagement score 40");
  });

  test("an admin tags everyone a search finds and takes the tag off again, after confirmations that say how many", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/contacts?q=volunteer");
    await expect(admin.getByTestId("contacts-count")).toHaveText("2 contacts");
    const tagAll = admin.getByTestId("tag-all");
    const field = tagAll.getByLabel("Add or remove a tag on all 2 contacts");
    admin.once("dialog", (dialog) => dialog.accept());
    await field.fill("<bad>");
    await tagAll.getByRole("button", { name: "Add the tag" }).click();
    await expect(admin.getByTestId("error-tag-all")).toContainText("is not a tag");
    await expect(field).toHaveAccessibleDescription(/is not a tag/);
    await expect(field).toHaveAttribute("aria-invalid", "true");
    expect(await violations(admin)).toEqual([]);
    admin.once("dialog", (dialog) => {
      expect(dialog.message()).toBe('Add the tag "phone bank" to all 2 contacts this list finds?');
      dialog.accept();
    });
    await field.fill("phone bank");
    await tagAll.getByRole("button", { name: "Add the tag" }).click();
    await expect(admin.getByTestId("tag-all-result")).toHaveText("Tagged 2 contacts.");
    // The tag fields now suggest it, with how many hold it.
    await expect(admin.locator('#known-tags option[value="phone bank"]')).toHaveAttribute("label", "2 contacts");
    await expect(field).toHaveAttribute("list", "known-tags");
    await expect(field).toHaveAttribute("aria-invalid", "false");
    // The list shows it on each without a reload, and the tag finds them.
    await expect(admin.getByTestId("contact-row").getByTestId("tag").filter({ hasText: "phone bank" })).toHaveCount(2);
    await admin.goto(`${server.baseURL}/admin/contacts?tag=phone+bank`);
    await expect(admin.getByTestId("contacts-count")).toHaveText("2 contacts");
    // Taken off again from the search's page: the rows lose it, the list stays.
    await admin.goto(`${server.baseURL}/admin/contacts?q=volunteer`);
    await ready(admin);
    admin.once("dialog", (dialog) => {
      expect(dialog.message()).toBe('Remove the tag "phone bank" from all 2 contacts this list finds?');
      dialog.accept();
    });
    await field.fill("phone bank");
    await tagAll.getByRole("button", { name: "Remove the tag" }).click();
    await expect(admin.getByTestId("tag-all-result")).toHaveText("Took the tag off 2 contacts.");
    await expect(admin.getByTestId("contact-row").getByTestId("tag").filter({ hasText: "phone bank" })).toHaveCount(0);
    await expect(admin.getByTestId("contact-row")).toHaveCount(2);
    await expect(admin.locator('#known-tags option[value="phone bank"]')).toHaveCount(0);
  });

  test("an admin downloads someone's data and erases them, once nothing still needs them", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/contacts");
    // Signed up for shifts still to come (the leaderboard's test): refused, saying what to do first.
    await admin.getByTestId("contact-row").getByRole("link", { name: "Volunteer 7" }).click();
    await expect(admin.getByRole("heading", { name: "Volunteer 7" })).toBeVisible();
    await ready(admin);
    const erase = admin.getByTestId("erase-contact");
    await erase.getByLabel("Type their email to confirm").fill("v7@example.org");
    await erase.getByRole("button", { name: "Erase personal data" }).click();
    await expect(erase.getByTestId("form-error")).toContainText(
      "Not erased yet. They are signed up for 2 upcoming shifts: remove them on the shift's page first.",
    );
    await expect(admin.getByRole("heading", { name: "Volunteer 7" })).toBeVisible();

    // Someone met at a stall: a mistyped address is refused beside the field, theirs erases them.
    await admin.goto(`${server.baseURL}/admin/contacts`);
    await admin.getByText("Add a contact").click();
    const add = admin.getByTestId("add-contact");
    await add.getByLabel("Name").fill("Ella Baker");
    await add.getByLabel("Email").fill("ella@example.org");
    await add.getByRole("button", { name: "Add contact" }).click();
    await expect(admin.getByRole("heading", { name: "Ella Baker" })).toBeVisible();
    await ready(admin);
    // First, what they asked for: everything held about them, as a file.
    const downloading = admin.waitForEvent("download");
    await erase.getByRole("link", { name: "Download everything held about them (JSON)" }).click();
    const file = await downloading;
    expect(file.suggestedFilename()).toMatch(/^contact-[0-9a-f-]+\.json$/);
    const data = JSON.parse(readFileSync(await file.path(), "utf8"));
    expect(data.contact).toMatchObject({ name: "Ella Baker", email: "ella@example.org", source: "ADMIN" });
    await erase.getByLabel("Type their email to confirm").fill("ella@example.com");
    await erase.getByRole("button", { name: "Erase personal data" }).click();
    await expect(erase.getByTestId("error-confirm_email")).toContainText("Type this contact's email exactly");
    await expect(erase.getByLabel("Type their email to confirm")).toHaveValue("ella@example.com");
    await expect(admin.getByRole("heading", { name: "Ella Baker" })).toBeVisible();
    await erase.getByLabel("Type their email to confirm").fill("ella@example.org");
    await erase.getByRole("button", { name: "Erase personal data" }).click();
    await expect(admin.getByTestId("load-error")).toContainText("This contact's personal data was erased on");
    await expect(admin.getByText("Ella Baker")).toHaveCount(0);
    await admin.goto(`${server.baseURL}/admin/contacts`);
    await expect(admin.getByTestId("contact-row").first()).toBeVisible();
    await expect(admin.getByTestId("contact-row").filter({ hasText: "Ella" })).toHaveCount(0);
  });

  test("a contact follows their unsubscribe link, and the admins' open pages show it", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/contacts");
    await admin.getByRole("link", { name: "Fannie Lou Hamer" }).click();
    await expect(admin.getByRole("heading", { name: "Fannie Lou Hamer" })).toBeVisible();
    const id = admin.url().split("/").pop()!;
    await ready(admin);
    // A colleague has the list open.
    const list = await browser.newPage({ storageState: await admin.context().storageState() });
    await list.goto(`${server.baseURL}/admin/contacts`);
    await ready(list);
    const listed = list.getByTestId("contact-row").filter({ hasText: "Fannie" });
    await expect(listed).not.toContainText("unsubscribed");
    // The admin has begun correcting the phone number, not saved yet.
    await admin.getByText("Edit details").click();
    await admin.getByTestId("edit-contact").getByLabel("Phone (optional)").fill("+1 555 0199");
    // The link a re-engagement email carries: the id signed with the instance's key.
    const key = Buffer.from(readFileSync(join(server.dataDir, "secret.key"), "utf8").trim(), "base64");
    const signature = createHmac("sha256", key).update(`contact-unsubscribe\0${id}`).digest("base64url");

    const person = await (await browser.newContext()).newPage();
    await person.goto(`${server.baseURL}/unsubscribe?token=${id}.${signature}`);
    await ready(person);
    await expect(person.getByText("Stop emails like this from Riverside Tenants to f•••@example.org?")).toBeVisible();
    await person.getByRole("button", { name: "Unsubscribe" }).click();
    await expect(person.getByTestId("unsubscribed")).toHaveText(
      "Done: f•••@example.org gets no more emails like this from Riverside Tenants.",
    );
    // Both admins' pages show it without a reload.
    await expect(admin.getByTestId("contact-unsubscribed")).toContainText("Unsubscribed on");
    await expect(listed).toContainText("unsubscribed");
    // Pressed by mistake: the same page subscribes them again, and asks again.
    await person.getByRole("button", { name: "Pressed it by mistake? Subscribe me again" }).click();
    await expect(person.getByTestId("resubscribed")).toBeVisible();
    await expect(admin.getByTestId("contact-unsubscribed")).toHaveCount(0);
    await expect(listed).not.toContainText("unsubscribed");
    await person.getByRole("button", { name: "Unsubscribe" }).click();
    await expect(person.getByTestId("unsubscribed")).toBeVisible();
    await person.reload();
    await expect(person.getByTestId("unsubscribed")).toBeVisible();
    await expect(admin.getByTestId("contact-unsubscribed")).toContainText("Unsubscribed on");
    await expect(listed).toContainText("unsubscribed");
    // What the admin was typing is still there.
    await expect(admin.getByTestId("edit-contact").getByLabel("Phone (optional)")).toHaveValue("+1 555 0199");
  });

  test("the re-engagement page counts idle contacts and keeps its window", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/reengagement");
    await expect(admin.getByRole("button", { name: "Preview who gets it first" })).toBeDisabled();
    // The contacts imported above were active today: none is idle for a day.
    await admin.getByLabel("No activity for at least (days)").fill("1");
    await admin.getByRole("button", { name: "Preview", exact: true }).click();
    await expect(admin.getByTestId("idle-count")).toHaveText(
      "0 contacts had no activity for 1 day and were not re-engaged in the last 30 days.",
    );
    await expect(admin.getByRole("button", { name: "Send to 0 contacts" })).toBeDisabled();

    const window = admin.getByLabel("Days before a contact may be re-engaged again");
    await expect(window).toHaveValue("30");
    await window.fill("14");
    await admin.getByRole("button", { name: "Save" }).click();
    await expect(admin.getByText("Saved.")).toBeVisible();
    await admin.reload();
    await expect(admin.getByLabel("Days before a contact may be re-engaged again")).toHaveValue("14");
  });

  test("a contact's sign-ups come a page at a time", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/contacts");
    // Every Monday, Wednesday and Friday for ten weeks, Rosa on each.
    const made = await admin.request.post(`${server.baseURL}/api/shifts/create`, {
      form: {
        "form[title]": "Canvass",
        "form[description]": "",
        "form[location]": "Office",
        "form[date]": tomorrow(),
        "form[start_time]": "10:00",
        "form[end_time]": "12:00",
        "form[capacity]": "5",
        "form[is_public]": "true",
        "repeat[mon]": "true",
        "repeat[wed]": "true",
        "repeat[fri]": "true",
        "repeat[weeks]": "10",
      },
    });
    expect(made.status()).toBe(200);
    const shifts: { id: string }[] = await made.json();
    expect(shifts.length).toBeGreaterThan(26);
    const added = await admin.request.post(`${server.baseURL}/api/shifts/admin-add`, {
      form: { shift_id: shifts[0].id, "form[name]": "Rosa Parks", "form[email]": "rosa@example.org", "form[phone]": "", series: "true" },
    });
    expect(added.status()).toBe(200);

    await admin.goto(`${server.baseURL}/admin/contacts`);
    await admin.getByRole("link", { name: "Rosa Parks" }).click();
    await ready(admin);
    const signups = admin.getByTestId("contact-signup");
    await expect(signups).toHaveCount(25);
    const pages = admin.getByRole("navigation", { name: "Pages of sign-ups" });
    await pages.getByRole("link", { name: "Next →" }).click();
    await expect(admin).toHaveURL(/\?signups=2#signups$/);
    await expect(pages).toContainText("Page 2");
    await expect(signups).toHaveCount(shifts.length - 25);
    await pages.getByRole("link", { name: "← Previous" }).click();
    await expect(pages).toContainText("Page 1");
    await expect(signups).toHaveCount(25);
  });
});
