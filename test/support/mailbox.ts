import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { freePort } from './gatehouse';

export interface ReceivedMail {
  to: string[];
  raw: string;
  subject: string;
  /** The body with quoted-printable soft breaks and escapes undone. */
  body: string;
}

/** A real SMTP server on a loopback port (the `smtp-server` package) that keeps what it receives. */
export async function startMailbox(): Promise<{
  url: string;
  messages: ReceivedMail[];
  waitFor: (to: string, count?: number) => Promise<ReceivedMail[]>;
  close: () => Promise<void>;
}> {
  const messages: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        messages.push({ to: session.envelope.rcptTo.map((r) => r.address), raw, ...parseMail(raw) });
        callback();
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitFor: async (to, count = 1) => {
      for (let i = 0; i < 100; i++) {
        const mine = messages.filter((m) => m.to.includes(to));
        if (mine.length >= count) return mine;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no mail for ${to} within 5 s`);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The `.eml` files of a mail folder, parsed like received messages. */
export function readMailDir(dir: string): (ReceivedMail & { file: string })[] {
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
  } catch {
    return [];
  }
  return files.sort().map((f) => {
    const raw = readFileSync(join(dir, f), 'utf8');
    const to = /^To: (.*)$/im.exec(raw)?.[1]?.trim() ?? '';
    return { file: join(dir, f), to: [to], raw, ...parseMail(raw) };
  });
}

function parseMail(raw: string): { subject: string; body: string } {
  const subjectLine = /^Subject: (.*(?:\r?\n[ \t].*)*)/im.exec(raw)?.[1] ?? '';
  const subject = subjectLine
    .replace(/\r?\n[ \t]/g, ' ')
    // RFC 2047 §6.2: white space between adjacent encoded words is not part of the text.
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?Q\?(.*?)\?=/gi, (_w, q: string) => decodeQp(q.replace(/_/g, ' ')));
  return { subject, body: decodeQp(raw) };
}

function decodeQp(s: string): string {
  const bytes = s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_w, h: string) => `%${h}`);
  try {
    return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/g, '%25'));
  } catch {
    return bytes;
  }
}

/** The one-time link of a message (the first URL with a `token`). */
export function linkIn(mail: ReceivedMail): URL {
  const m = /https?:\/\/[^\s"<>]+[?&]token=[A-Za-z0-9_-]+[^\s"<>]*/.exec(mail.body);
  if (!m) throw new Error(`no link in: ${mail.body}`);
  return new URL(m[0].replace(/&amp;/g, '&'));
}
