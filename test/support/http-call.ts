import { request } from 'node:http';

/** An HTTP answer: status, headers and the whole body as text. */
export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with exactly these headers (Host included, which fetch would not let us set). */
export function httpCall(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The content type of an HTML form's POST. */
export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** The `name=value` pairs of the cookies an answer sets. */
export const cookiesOf = (r: Reply): string[] =>
  ([] as string[]).concat(r.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!);

/** The CSRF token of the first form on a page. */
export const csrfOf = (page: Reply): string => /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
