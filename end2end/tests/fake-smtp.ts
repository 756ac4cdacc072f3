// A fake SMTP server for the browser tests: accepts every message on 127.0.0.1 and keeps it,
// its quoted-printable text decoded, so a test can follow a link a person was emailed.
import { expect } from "@playwright/test";
import { createServer, Server } from "node:net";

export interface ReceivedEmail {
  to: string[];
  text: string;
}

export interface FakeSmtp {
  port: number;
  received: ReceivedEmail[];
  stop: () => Promise<void>;
}

/** Soft line breaks joined and `=XX` escapes undone, enough to read subjects and links. */
function decodeQuotedPrintable(text: string): string {
  const joined = text.replace(/=\r\n/g, "");
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === "=" && /^[0-9A-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i], "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

export async function startFakeSmtp(): Promise<FakeSmtp> {
  const received: ReceivedEmail[] = [];
  const server: Server = createServer((socket) => {
    let buffer = "";
    let to: string[] = [];
    let data: string | null = null;
    socket.write("220 fake.smtp ESMTP\r\n");
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      let end: number;
      while ((end = buffer.indexOf("\r\n")) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (data !== null) {
          if (line === ".") {
            received.push({ to, text: decodeQuotedPrintable(data) });
            to = [];
            data = null;
            socket.write("250 queued\r\n");
          } else {
            data += `${line}\r\n`;
          }
          continue;
        }
        const command = line.toUpperCase();
        if (command.startsWith("EHLO") || command.startsWith("HELO")) {
          socket.write("250 fake.smtp\r\n");
        } else if (command.startsWith("RCPT TO:")) {
          to.push(line.slice(8).trim().replace(/^</, "").replace(/>$/, ""));
          socket.write("250 ok\r\n");
        } else if (command.startsWith("DATA")) {
          data = "";
          socket.write("354 go ahead\r\n");
        } else if (command.startsWith("QUIT")) {
          socket.end("221 bye\r\n");
        } else {
          socket.write("250 ok\r\n");
        }
      }
    });
    socket.on("error", () => {});
  });
  const port = await new Promise<number>((ok) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      ok(typeof address === "object" && address ? address.port : 0);
    });
  });
  return { port, received, stop: () => new Promise((ok) => server.close(() => ok())) };
}

/** The address, from `path` on (`/shifts/cancel?token=…`), of the first link to `path` in an
 * email to `to` that says `says`, once the fake server has it: the app's email worker sends in
 * the background. */
export async function emailedLink(smtp: FakeSmtp, to: string, says: string, path: string): Promise<string> {
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(`${escaped}\\S+`);
  let link = "";
  await expect
    .poll(
      () => {
        const email = smtp.received.find((m) => m.to.includes(to) && m.text.includes(says));
        link = email?.text.match(pattern)?.[0] ?? "";
        return link;
      },
      { timeout: 30_000 },
    )
    .not.toBe("");
  return link;
}
