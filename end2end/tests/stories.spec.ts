import { expect, Locator } from "@playwright/test";
import { deflateSync } from "node:zlib";
import { ready, signIn, startWithAdmin, test, violations } from "./helpers";
import { RunningServer } from "./server";

// A PNG of `width` × `height` pixels, as many as a phone's photo, its rows alike so that the
// file is small.
function largePng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const framing = Buffer.alloc(8);
    framing.writeUInt32BE(data.length, 0);
    framing.writeUInt32BE(crc32(body), 4);
    return Buffer.concat([framing.subarray(0, 4), body, framing.subarray(4)]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2], 8); // 8 bits a channel, RGB
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set([(x * 7) % 256, 120, 200], 1 + x * 3);
  const pixels = deflateSync(Buffer.concat(Array(height).fill(row)));
  const signature = Buffer.from("89504e470d0a1a0a", "hex");
  return Buffer.concat([signature, chunk("IHDR", header), chunk("IDAT", pixels), chunk("IEND", Buffer.alloc(0))]);
}

// The shape `img` is shown in: its width over its height on the page.
async function shapeOf(img: Locator): Promise<number> {
  return img.evaluate((img: HTMLImageElement) => {
    const box = img.getBoundingClientRect();
    return box.width / box.height;
  });
}

// PNG's chunk checksum.
function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

test.describe.serial("impact stories", () => {
  let server: RunningServer;

  test.beforeAll(async ({ browser }) => {
    server = await startWithAdmin(browser);
  });

  test.afterAll(async () => {
    await server.stop();
  });

  test("an admin drafts a story, publishes it for visitors, and deletes it", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/stories");
    await expect(admin.getByTestId("stories-empty")).toHaveText("No stories yet. Write the first one below.");
    // Nothing filled in: each field says what is missing.
    await admin.getByRole("button", { name: "Save story" }).click();
    await expect(admin.getByTestId("error-form[title]")).toHaveText("Enter a title.");
    await expect(admin.getByTestId("error-form[summary]")).toHaveText("Sum the story up in a sentence or two.");
    // The address may be left empty, to be made from the title: only the title is asked for.
    await expect(admin.getByTestId("error-form[slug]")).toHaveText("");
    await admin.getByLabel("Title", { exact: true }).fill("Bus route 12 saved");
    await admin.getByLabel(/^Summary/).fill("The council kept the route.");
    await admin.getByLabel("Story", { exact: true }).fill("Two hundred letters later,\nthe council listened: https://council.example/minutes.");
    await admin.getByRole("button", { name: "Save story" }).click();
    await expect(admin.getByRole("heading", { name: "Bus route 12 saved" })).toBeVisible();
    await expect(admin.getByTestId("story-status")).toHaveText("Draft: only admins see it.");

    // A visitor sees nothing until it is published.
    const visitor = await browser.newPage();
    await visitor.goto(`${server.baseURL}/stories`);
    await expect(visitor.getByTestId("stories-empty")).toBeVisible();

    // A colleague corrects the summary while this page's form is open; this page publishes the
    // story, which shows it as it now is, and keeps the title being retyped. The form still holds
    // the summary it was opened with, so saving it is refused; reloading shows the colleague's.
    await ready(admin);
    const colleague = await browser.newPage({ storageState: await admin.context().storageState() });
    await colleague.goto(admin.url());
    await ready(colleague);
    await colleague.getByLabel(/^Summary/).fill("The council kept route 12.");
    await colleague.getByRole("button", { name: "Save story" }).click();
    await expect(colleague.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
    await colleague.close();
    await admin.getByLabel("Title", { exact: true }).fill("Bus route 12: saved for good");
    await admin.getByRole("button", { name: "Publish" }).click();
    await expect(admin.getByTestId("story-status")).toContainText("/stories/bus-route-12-saved");
    await expect(admin.getByLabel("Title", { exact: true })).toHaveValue("Bus route 12: saved for good");
    await admin.getByRole("button", { name: "Save story" }).click();
    await expect(admin.getByText(/Someone else saved changes to this story/)).toBeVisible();
    await admin.reload();
    await expect(admin.getByLabel(/^Summary/)).toHaveValue("The council kept route 12.");
    await expect(admin.getByRole("heading", { level: 1 })).toHaveText("Bus route 12 saved");

    await visitor.goto(`${server.baseURL}/`);
    await visitor.getByRole("link", { name: "Impact stories" }).click();
    await expect(visitor.getByTestId("story")).toHaveCount(1);
    await visitor.getByRole("link", { name: "Bus route 12 saved" }).click();
    await expect(visitor.getByTestId("story-body")).toHaveText(
      "Two hundred letters later,\nthe council listened: https://council.example/minutes.",
    );
    // The address in it is a link, drawn by the server and by the page alike.
    const minutes = visitor.getByTestId("story-body").getByRole("link", { name: "https://council.example/minutes" });
    await expect(minutes).toHaveAttribute("href", "https://council.example/minutes");
    await visitor.reload();
    await ready(visitor);
    await expect(minutes).toHaveAttribute("href", "https://council.example/minutes");

    // Deleted after a confirmation: gone from the public page.
    admin.once("dialog", (dialog) => dialog.accept());
    await admin.getByRole("button", { name: "Delete story" }).click();
    await expect(admin).toHaveURL(/\/admin\/stories$/);
    await expect(admin.getByTestId("stories-empty")).toBeVisible();
    await visitor.goto(`${server.baseURL}/stories`);
    await expect(visitor.getByTestId("stories-empty")).toBeVisible();
  });

  test("an admin gives a story a picture, described; visitors see it with the story and in the list", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/stories");
    await admin.getByLabel("Title", { exact: true }).fill("New crossing on Elm St");
    await admin.getByLabel(/^Summary/).fill("The crossing is in.");
    await admin.getByLabel("Story", { exact: true }).fill("After two years of asking.");
    await admin.getByRole("button", { name: "Save story" }).click();
    await expect(admin.getByRole("heading", { name: "New crossing on Elm St" })).toBeVisible();
    await ready(admin);

    // Not a picture: refused with the reason, nothing kept.
    const description = admin.getByLabel(/^What it shows/);
    const file = admin.getByLabel("Picture", { exact: true });
    await description.fill("Children crossing Elm St");
    await file.setInputFiles({ name: "crossing.svg", mimeType: "image/svg+xml", buffer: Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'/>") });
    await admin.getByRole("button", { name: "Upload the picture" }).click();
    await expect(admin.getByTestId("picture-upload-error")).toHaveText("Upload a JPEG, PNG, WebP or GIF picture.");
    await expect(admin.getByTestId("story-picture")).toHaveCount(0);

    // A picture of 4,000 × 3,000 pixels: once sent, the page says it is being saved (scaled
    // down, about a second), then shows it, 1,600 pixels wide, with what it shows.
    await file.setInputFiles({ name: "crossing.png", mimeType: "image/png", buffer: largePng(4000, 3000) });
    await admin.getByRole("button", { name: "Upload the picture" }).click();
    await expect(admin.getByTestId("picture-upload-progress")).toContainText("Sent; saving it…");
    const shown = admin.getByTestId("story-picture");
    await expect(shown).toHaveAttribute("alt", "Children crossing Elm St");
    await expect(admin.getByTestId("picture-upload-error")).toHaveText("");
    expect(await shown.evaluate((img: HTMLImageElement) => img.decode().then(() => img.naturalWidth))).toBe(1600);
    expect(await shapeOf(shown)).toBeCloseTo(4 / 3, 2);
    expect(await violations(admin)).toEqual([]);
    // What it shows, said better, without uploading it again.
    await admin.getByLabel("What it shows", { exact: true }).fill("Children crossing Elm St at the new lights");
    await admin.getByRole("button", { name: "Save description" }).click();
    await expect(shown).toHaveAttribute("alt", "Children crossing Elm St at the new lights");
    await admin.getByRole("button", { name: "Publish" }).click();
    await expect(admin.getByTestId("story-status")).toContainText("/stories/new-crossing-on-elm-st");

    // The visitor sees it in the list and on the story's page.
    const visitor = await browser.newPage();
    await visitor.goto(`${server.baseURL}/stories`);
    await expect(visitor.getByRole("img", { name: "Children crossing Elm St at the new lights" })).toBeVisible();
    await visitor.getByRole("link", { name: "New crossing on Elm St" }).click();
    const picture = visitor.getByTestId("story-picture");
    await expect(picture).toHaveAttribute("alt", "Children crossing Elm St at the new lights");
    expect(await picture.evaluate((img: HTMLImageElement) => img.decode().then(() => img.naturalWidth))).toBe(1600);
    // Its size is on the page, so the browser keeps its room while it loads; shown undistorted.
    await expect(picture).toHaveAttribute("width", "1600");
    await expect(picture).toHaveAttribute("height", "1200");
    expect(await shapeOf(picture)).toBeCloseTo(4 / 3, 2);

    // Removed after a confirmation.
    admin.once("dialog", (dialog) => {
      expect(dialog.message()).toBe("Remove the story's picture?");
      dialog.accept();
    });
    await admin.getByRole("button", { name: "Remove the picture" }).click();
    await expect(shown).toHaveCount(0);
    await visitor.reload();
    await expect(visitor.getByRole("heading", { name: "New crossing on Elm St" })).toBeVisible();
    await expect(visitor.getByTestId("story-picture")).toHaveCount(0);
  });
});
