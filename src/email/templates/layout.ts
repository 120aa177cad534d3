import { html, type SafeHtml } from "./html";
import { S } from "./styles";

export interface Rendered {
  subject: string;
  html: string;
  text: string;
}

/**
 * One layout for every email: a centred table at most 600px wide that reflows on a phone. Styles are
 * inline (see styles.ts); there is no <style> block for a client to drop.
 */
export function layout(opts: { title: string; preheader: string; body: SafeHtml; footer?: string }): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>${opts.title}</title>
</head>
<body style="${S.body}">
<div style="display:none;max-height:0;font-size:1px;line-height:1px;color:#f6f1ec;">${opts.preheader}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="${S.outer}"><tr><td align="center" style="padding:24px 8px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="${S.card}">
<tr><td style="${S.head}">ORA JEWELLERY</td></tr>
<tr><td style="${S.content}">${opts.body}</td></tr>
<tr><td style="${S.foot}">${opts.footer ?? "ORA Jewellery · This is an automated message; replies are not read."}</td></tr>
</table>
</td></tr></table>
</body>
</html>`.value;
}
