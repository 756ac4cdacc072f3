// Writes a phone-sized photo (`node photo.mjs <file>`, see pictures.sh): 4,032 × 3,024 pixels,
// a JPEG at quality 0.92 drawn by Chromium — soft gradients under fine grain, which compresses
// about as a phone's photo of a crowd does (3–6 MB).
import { chromium } from "playwright";
import { writeFileSync } from "node:fs";

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium" });
const page = await browser.newPage();
const data = await page.evaluate(() => {
  const canvas = document.createElement("canvas");
  canvas.width = 4032;
  canvas.height = 3024;
  const context = canvas.getContext("2d");
  const pixels = context.createImageData(canvas.width, canvas.height);
  let seed = 7;
  for (let i = 0; i < pixels.data.length; i += 4) {
    const x = (i / 4) % canvas.width;
    const y = Math.floor(i / 4 / canvas.width);
    seed = (seed * 1664525 + 1013904223) >>> 0;
    const grain = seed >>> 27;
    pixels.data[i] = 120 + 80 * Math.sin(x / 300) + grain;
    pixels.data[i + 1] = 110 + 70 * Math.cos(y / 250) + grain;
    pixels.data[i + 2] = 90 + 60 * Math.sin((x + y) / 400) + grain;
    pixels.data[i + 3] = 255;
  }
  context.putImageData(pixels, 0, 0);
  return canvas.toDataURL("image/jpeg", 0.92);
});
writeFileSync(process.argv[2], Buffer.from(data.split(",")[1], "base64"));
await browser.close();
