import { expect, Locator, Page } from "@playwright/test";
import { ready, signIn, startWithAdmin, test, violations } from "./helpers";
import { RunningServer } from "./server";

// The words of the captions `video`'s first track gives, as the browser's own WebVTT parser
// reads them.
async function cuesOf(video: Locator): Promise<string[]> {
  return video.evaluate(async (video: HTMLVideoElement) => {
    const element = video.querySelector("track") as HTMLTrackElement;
    const track = element.track;
    track.mode = "hidden";
    // The parser adds cues as the file arrives: wait until the whole file is read, not the first cue.
    for (let i = 0; i < 100 && element.readyState !== HTMLTrackElement.LOADED; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return Array.from(track.cues ?? [], (cue) => (cue as VTTCue).text);
  });
}

// An MP4 box of `kind` holding `content`.
function mp4Box(kind: string, content: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(content.length + 8);
  header.write(kind, 4, "latin1");
  return Buffer.concat([header, content]);
}

// The boxes `bytes` holds, each as its kind and content.
function boxesOf(bytes: Buffer): [string, Buffer][] {
  const boxes: [string, Buffer][] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = bytes.readUInt32BE(at);
    expect(size).toBeGreaterThanOrEqual(8);
    boxes.push([bytes.toString("latin1", at + 4, at + 8), bytes.subarray(at + 8, at + size)]);
    at += size;
  }
  return boxes;
}

// A second of video as a phone films it, `length` bytes long: Chromium records a canvas changing
// colour as an MP4; the movie's user data then says where it was filmed and the track's on which
// phone, as a phone's do, and free space pads it out.
async function phoneVideo(page: Page, length: number): Promise<Buffer> {
  const recorded = await page.evaluate(async () => {
    const canvas = document.createElement("canvas");
    canvas.width = 160;
    canvas.height = 120;
    const context = canvas.getContext("2d")!;
    let frame = 0;
    const timer = setInterval(() => {
      context.fillStyle = `hsl(${frame++ * 12}, 80%, 50%)`;
      context.fillRect(0, 0, 160, 120);
    }, 33);
    const recorder = new MediaRecorder(canvas.captureStream(30), { mimeType: "video/mp4;codecs=avc1" });
    const chunks: Blob[] = [];
    recorder.ondataavailable = (e) => chunks.push(e.data);
    const stopped = new Promise((resolve) => (recorder.onstop = resolve));
    recorder.start();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    recorder.stop();
    await stopped;
    clearInterval(timer);
    const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
    return Array.from(bytes, (b) => String.fromCharCode(b)).join("");
  });
  const place = mp4Box("\xA9xyz", Buffer.from("\0\x12\x15\xC7+51.5000-000.1000/", "latin1"));
  const phone = mp4Box("udta", mp4Box("\xA9mod", Buffer.from("Pixel 9")));
  const top = boxesOf(Buffer.from(recorded, "latin1")).map(([kind, content]) => {
    if (kind !== "moov") return mp4Box(kind, content);
    const movie = boxesOf(content).map(([kind, content]) => mp4Box(kind, kind === "trak" ? Buffer.concat([content, phone]) : content));
    return mp4Box("moov", Buffer.concat([...movie, mp4Box("udta", place)]));
  });
  // The recording ends with an index of its fragments by offset (mfra), untrue once the movie
  // grew: left out, as players do not need it.
  const video = Buffer.concat(top.filter((box) => box.toString("latin1", 4, 8) !== "mfra"));
  return Buffer.concat([video, mp4Box("free", Buffer.alloc(length - video.length - 8))]);
}

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
    await expect(admin.getByTestId("error-form[video_url]")).toHaveText("");
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

  test("an admin uploads the video's file with a progress bar; the public page plays it from Changemaker", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/videos");
    await admin.getByLabel("Title", { exact: true }).fill("Rally at city hall");
    await admin.getByRole("button", { name: "Save video" }).click();
    await expect(admin.getByRole("heading", { name: "Rally at city hall" })).toBeVisible();
    await expect(admin.getByTestId("video-source")).toHaveText("No video file yet: upload one, or give its address in the form.");
    await ready(admin);
    await admin.getByRole("button", { name: "Publish" }).click();
    await expect(admin.getByRole("alert").filter({ hasText: "Upload the video's file" })).toBeVisible();

    // Not a video: refused with the reason, nothing kept.
    const fileInput = admin.getByLabel("Video file", { exact: true });
    await fileInput.setInputFiles({ name: "notes.mp4", mimeType: "video/mp4", buffer: Buffer.from("These are my notes, not a film.") });
    await admin.getByRole("button", { name: "Upload the video file" }).click();
    await expect(admin.getByTestId("video-upload-error")).toHaveText("Upload an MP4 or WebM video file.");
    await expect(admin.getByTestId("video-source")).toContainText("No video file yet");

    // A phone's 3 MB MP4 over a slowed upload: the progress bar shows, then the page names the file.
    const mp4 = await phoneVideo(admin, 3_000_000);
    const cdp = await admin.context().newCDPSession(admin);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 1_000_000 });
    await fileInput.setInputFiles({ name: "rally.mp4", mimeType: "video/mp4", buffer: mp4 });
    await admin.getByRole("button", { name: "Upload the video file" }).click();
    await expect(admin.getByTestId("video-upload-progress")).toContainText("Uploading…");
    // A description written while the file goes up is still there once the page shows the file.
    await admin.getByLabel(/^Description/).fill("Two thousand of us.");
    await expect(admin.getByTestId("video-source")).toHaveText("Plays the uploaded file rally.mp4 (3.0 MB).", { timeout: 30_000 });
    await expect(admin.getByLabel(/^Description/)).toHaveValue("Two thousand of us.");
    await expect(admin.getByTestId("video-upload-progress")).toHaveCount(0);
    await expect(admin.getByTestId("video-upload-error")).toHaveText("");
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

    await admin.getByRole("button", { name: "Publish" }).click();
    await expect(admin.getByTestId("video-status")).toContainText("/videos/rally-at-city-hall");

    // The visitor's player plays it from Changemaker, which serves byte ranges for seeking.
    const visitor = await browser.newPage();
    await visitor.goto(`${server.baseURL}/videos/rally-at-city-hall`);
    const src = await visitor.getByTestId("player").getAttribute("src");
    expect(src).toMatch(/^\/media\/videos\/[0-9a-f-]+\.mp4$/);
    const part = await visitor.request.get(`${server.baseURL}${src}`, { headers: { range: "bytes=4-11" } });
    expect(part.status()).toBe(206);
    expect((await part.body()).toString("latin1")).toBe("ftypisom");
    // It plays; where and on what it was filmed are not in the file anyone downloads.
    const played = await visitor.getByTestId("player").evaluate(async (video: HTMLVideoElement) => {
      video.muted = true;
      await video.play();
      for (let i = 0; i < 100 && video.currentTime === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return video.currentTime;
    });
    expect(played).toBeGreaterThan(0);
    const stored = await (await visitor.request.get(`${server.baseURL}${src}`)).body();
    expect(stored.length).toBe(mp4.length);
    for (const told of ["+51.5000", "Pixel 9"]) {
      expect(mp4.includes(told)).toBe(true);
      expect(stored.includes(told)).toBe(false);
    }

    // Removing the file, after a confirmation: refused while the published video has nothing
    // else to play; once it has an address, the file goes and the address plays.
    const removeFile = async () => {
      admin.once("dialog", (dialog) => {
        expect(dialog.message()).toContain("Remove the uploaded file rally.mp4?");
        dialog.accept();
      });
      await admin.getByRole("button", { name: "Remove the file" }).click();
    };
    await removeFile();
    await expect(admin.getByRole("alert").filter({ hasText: "needs something to play" })).toBeVisible();
    await admin.getByLabel(/^Video file kept elsewhere/).fill("https://videos.example.org/rally.mp4");
    const saved = admin.waitForResponse((r) => r.url().includes("/api/videos/save") && r.status() === 200);
    await admin.getByRole("button", { name: "Save video" }).click();
    await saved;
    await removeFile();
    await expect(admin.getByTestId("video-source")).toHaveText("Plays https://videos.example.org/rally.mp4");
    await expect(admin.getByRole("button", { name: "Remove the file" })).toHaveCount(0);
    expect((await visitor.request.get(`${server.baseURL}${src}`)).status()).toBe(404);
  });

  test("an admin gives a video a poster picture; the list and the visitor's player show it", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/videos");
    await admin.getByLabel("Title", { exact: true }).fill("Bus riders speak");
    await admin.getByLabel(/^Video file/).fill("https://media.example.org/riders.mp4");
    await admin.getByRole("button", { name: "Save video" }).click();
    await expect(admin.getByRole("heading", { name: "Bus riders speak" })).toBeVisible();
    await ready(admin);

    // Not a picture: refused with the reason, nothing kept.
    const file = admin.getByLabel("Picture", { exact: true });
    const upload = admin.getByRole("button", { name: "Upload the picture" });
    await file.setInputFiles({ name: "riders.svg", mimeType: "image/svg+xml", buffer: Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'/>") });
    await upload.click();
    await expect(admin.getByTestId("poster-upload-error")).toHaveText("Upload a JPEG, PNG, WebP or GIF picture.");
    await expect(admin.getByTestId("poster-shown")).toHaveCount(0);

    // A 1×1 PNG: the page shows it.
    const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=", "base64");
    await file.setInputFiles({ name: "riders.png", mimeType: "image/png", buffer: png });
    await upload.click();
    const shown = admin.getByTestId("poster-shown");
    expect(await shown.evaluate((img: HTMLImageElement) => img.decode().then(() => img.naturalWidth))).toBe(1);
    await expect(admin.getByTestId("poster-upload-error")).toHaveText("");
    expect(await violations(admin)).toEqual([]);
    await admin.getByRole("button", { name: "Publish" }).click();
    await expect(admin.getByTestId("video-status")).toContainText("/videos/bus-riders-speak");

    // The visitor sees it beside the title, and the player shows it before playing.
    const visitor = await browser.newPage();
    await visitor.goto(`${server.baseURL}/videos`);
    const beside = visitor.getByTestId("video").filter({ hasText: "Bus riders speak" }).getByTestId("video-poster");
    expect(await beside.evaluate((img: HTMLImageElement) => img.decode().then(() => img.naturalWidth))).toBe(1);
    expect(await violations(visitor)).toEqual([]);
    await visitor.getByRole("link", { name: "Bus riders speak" }).click();
    await expect(visitor.getByTestId("player")).toHaveAttribute("poster", /^\/media\/pictures\/[0-9a-f-]+\.png$/);
    expect(await visitor.getByTestId("player").getAttribute("poster")).toBe(await shown.getAttribute("src"));

    // Removed after a confirmation: the player has none.
    admin.once("dialog", (dialog) => {
      expect(dialog.message()).toBe("Remove the poster? The player then shows the video's first frame.");
      dialog.accept();
    });
    await admin.getByRole("button", { name: "Remove the poster" }).click();
    await expect(shown).toHaveCount(0);
    await visitor.reload();
    await expect(visitor.getByTestId("player")).toBeVisible();
    await expect(visitor.getByTestId("player")).not.toHaveAttribute("poster", /./);
  });

  test("an admin pastes captions from a SubRip file; the visitor's player reads them as a captions track", async ({ browser }) => {
    const admin = await browser.newPage();
    await signIn(admin, server, "/admin/videos");
    await admin.getByLabel("Title", { exact: true }).fill("Town hall meeting");
    await admin.getByLabel(/^Video file/).fill("https://media.example.org/town-hall.mp4");
    await admin.getByRole("button", { name: "Save video" }).click();
    await expect(admin.getByTestId("video-captions")).toContainText("No captions yet");
    await ready(admin);

    // A timing line a player would skip is refused, naming its line; nothing is kept.
    const captions = admin.getByLabel("Captions", { exact: true });
    await captions.fill("1\n00:00:04,000 --> 00:00:01,000\nBackwards");
    await admin.getByRole("button", { name: "Save captions" }).click();
    await expect(admin.getByTestId("error-form[captions]")).toContainText("Line 2:");
    expect(await violations(admin)).toEqual([]);

    // A SubRip file, as a captioning service exports it (Windows-1252, as older editors save
    // it): chosen, its text in the field; kept, and shown back as WebVTT.
    const srt = "1\r\n00:00:01,000 --> 00:00:04,000\r\nWe marched\r\n\r\n2\r\n00:00:05,000 --> 00:00:08,000\r\nto city hall.\r\n\r\n3\r\n00:00:09,000 --> 00:00:10,000\r\nCafé après.\r\n";
    await admin.getByLabel("Or choose the file (.vtt or .srt)").setInputFiles({ name: "march.srt", mimeType: "application/x-subrip", buffer: Buffer.from(srt, "latin1") });
    await expect(captions).toHaveValue(/Café après\./);
    await admin.getByRole("button", { name: "Save captions" }).click();
    await expect(admin.getByTestId("captions-saved")).toHaveText("Saved.");
    await expect(admin.getByLabel("Captions", { exact: true })).toHaveValue(/^WEBVTT\n\n1\n00:00:01\.000 --> 00:00:04\.000\nWe marched/);
    await expect(admin.getByTestId("video-captions")).toHaveText("Captions: en.");
    // The draft plays on the admin's page with them, to check before publishing.
    const preview = admin.getByTestId("captions-preview").locator("video");
    expect(await cuesOf(preview)).toEqual(["We marched", "to city hall.", "Café après."]);
    expect(await violations(admin)).toEqual([]);
    await admin.getByRole("button", { name: "Publish" }).click();
    await expect(admin.getByTestId("video-status")).toContainText("/videos/town-hall-meeting");

    // The browser's own WebVTT parser reads both captions from the track.
    const visitor = await browser.newPage();
    await visitor.goto(`${server.baseURL}/videos/town-hall-meeting`);
    await expect(visitor.locator("track")).toHaveAttribute("srclang", "en");
    expect(await cuesOf(visitor.getByTestId("player"))).toEqual(["We marched", "to city hall.", "Café après."]);
    // And the words to read, under the video, once opened.
    const transcript = visitor.getByTestId("transcript");
    await expect(transcript.getByText("We marched to city hall. Café après.")).toBeHidden();
    await transcript.getByText("Read the transcript").click();
    await expect(transcript.getByText("We marched to city hall. Café après.")).toBeVisible();
    expect(await violations(visitor)).toEqual([]);

    // Removed after a confirmation: the page says so and the player has no track.
    admin.once("dialog", (dialog) => {
      expect(dialog.message()).toBe("Remove this video's captions? Viewers then have none.");
      dialog.accept();
    });
    await admin.getByRole("button", { name: "Remove captions" }).click();
    await expect(admin.getByTestId("video-captions")).toContainText("No captions yet");
    await expect(admin.getByRole("button", { name: "Remove captions" })).toHaveCount(0);
    await expect(admin.getByTestId("captions-preview")).toHaveCount(0);
    await visitor.reload();
    await expect(visitor.getByTestId("player")).toBeVisible();
    await expect(visitor.locator("track")).toHaveCount(0);
    await expect(visitor.getByTestId("transcript")).toHaveCount(0);
  });
});
