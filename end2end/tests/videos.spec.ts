import { expect, test } from "@playwright/test";
import { ready, signIn, startWithAdmin } from "./helpers";
import { RunningServer } from "./server";

test.describe.serial("videos", () => {
  let server: RunningServer;

  test.beforeAll(async ({ browser }) => {
    server = await startWithAdmin(browser);
  });

  test.afterAll(async () => {
    await server.stop();
  });

  test("an admin adds a video and publishes it; a visitor plays it and the view is counted", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/videos");
    await expect(admin.getByTestId("videos-empty")).toHaveText("No videos yet. Add the first one below.");
    // Nothing filled in, then a plain-http file: each field says what is wrong.
    await admin.getByRole("button", { name: "Save video" }).click();
    await expect(admin.getByTestId("error-form[title]")).toHaveText("Enter a title.");
    await expect(admin.getByTestId("error-form[video_url]")).toContainText("Give the https:// address of the video file");
    await admin.getByLabel("Title", { exact: true }).fill("March for transit");
    await admin.getByLabel(/^Video file/).fill("http://media.example.org/march.mp4");
    await admin.getByRole("button", { name: "Save video" }).click();
    await expect(admin.getByTestId("error-form[video_url]")).toContainText("Give the https:// address of the video file");
    await expect(admin.getByTestId("error-form[title]")).toHaveText("");
    await admin.getByLabel(/^Video file/).fill("https://media.example.org/march.mp4");
    await admin.getByLabel(/^Description/).fill("Two thousand of us, from the station to city hall.");
    await admin.getByRole("button", { name: "Save video" }).click();
    await expect(admin.getByRole("heading", { name: "March for transit" })).toBeVisible();
    await expect(admin.getByTestId("video-status")).toHaveText("Draft: only admins see it.");
    await ready(admin);
    await admin.getByRole("button", { name: "Publish" }).click();
    await expect(admin.getByTestId("video-status")).toContainText("/videos/march-for-transit");
    await expect(admin.getByTestId("video-views")).toHaveText("0 views");

    // A visitor finds it from the header and starts the player: one view, however often.
    const visitor = await browser.newPage();
    await visitor.goto(`${server.baseURL}/`);
    await visitor.getByRole("link", { name: "Videos", exact: true }).click();
    await expect(visitor.getByTestId("video")).toHaveCount(1);
    await visitor.getByRole("link", { name: "March for transit" }).click();
    await expect(visitor.getByTestId("video-description")).toHaveText("Two thousand of us, from the station to city hall.");
    await ready(visitor);
    const player = visitor.getByTestId("player");
    await expect(player).toHaveAttribute("src", "https://media.example.org/march.mp4");
    const counted = visitor.waitForResponse((r) => r.url().endsWith("/api/videos/viewed"));
    await player.dispatchEvent("play");
    expect(await (await counted).json()).toBe(true);
    await player.dispatchEvent("play");

    await admin.reload();
    await expect(admin.getByTestId("video-views")).toHaveText("1 view");

    // Taken back to draft: gone from the public list.
    await ready(admin);
    await admin.getByRole("button", { name: "Take back to draft" }).click();
    await expect(admin.getByTestId("video-status")).toHaveText("Draft: only admins see it.");
    await visitor.goto(`${server.baseURL}/videos`);
    await expect(visitor.getByTestId("videos-empty")).toBeVisible();
  });
});
