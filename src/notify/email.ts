import { randomUUID } from 'node:crypto';

/** A header value on one line: line breaks would start new headers (header injection). */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

/** An RFC 2047 encoded word when the text is not plain ASCII. */
function headerText(text: string): string {
  const line = oneLine(text);
  return /^[\x20-\x7e]*$/.test(line) ? line : `=?UTF-8?B?${Buffer.from(line).toString('base64')}?=`;
}

/** A plain-text UTF-8 message (RFC 5322, body in base64 lines of 76) ready for SMTP DATA. */
export function composeMail(m: {
  from: string;
  to: readonly string[];
  subject: string;
  text: string;
  date?: Date;
  id?: string;
}): string {
  const body = Buffer.from(m.text.replace(/\r?\n/g, '\r\n')).toString('base64');
  return [
    `From: ${oneLine(m.from)}`,
    `To: ${m.to.map(oneLine).join(', ')}`,
    `Subject: ${headerText(m.subject)}`,
    `Date: ${(m.date ?? new Date()).toUTCString()}`,
    `Message-ID: <${m.id ?? randomUUID()}@slipway>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    'Auto-Submitted: auto-generated',
    '',
    ...(body.match(/.{1,76}/g) ?? []),
    '',
  ].join('\r\n');
}
