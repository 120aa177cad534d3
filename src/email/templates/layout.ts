import { html, type SafeHtml } from "./html";

export interface Rendered {
  subject: string;
  html: string;
  text: string;
}

const BRAND = "#7a4b2a";

/** One layout for every email: a single 600px column that reflows on a phone. */
export function layout(opts: { title: string; preheader: string; body: SafeHtml; footer?: string }): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>${opts.title}</title>
<style>
  body { margin: 0; padding: 0; background: #f6f1ec; font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #2b2118; }
  .wrap { width: 100%; padding: 24px 0; }
  .card { max-width: 600px; margin: 0 auto; background: #ffffff; border-radius: 10px; overflow: hidden; }
  .head { background: ${BRAND}; color: #fff; padding: 18px 24px; font-size: 20px; letter-spacing: 2px; font-weight: 600; }
  .content { padding: 24px; font-size: 15px; line-height: 1.55; }
  h1 { font-size: 20px; margin: 0 0 12px; }
  table.data { width: 100%; border-collapse: collapse; margin: 12px 0; font-size: 14px; }
  table.data th { text-align: left; border-bottom: 2px solid #e8dcd0; padding: 6px 4px; color: #6b5b4d; font-weight: 600; }
  table.data td { border-bottom: 1px solid #f0e7de; padding: 6px 4px; vertical-align: top; overflow-wrap: anywhere; }
  td.num, th.num { text-align: right; white-space: nowrap; }
  .total td { font-weight: 700; border-bottom: none; }
  .muted { color: #7d6e62; font-size: 13px; }
  .pill { display: inline-block; white-space: nowrap; padding: 2px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; }
  .bad { background: #fde2e1; color: #9b1c1c; } .warn { background: #fff1d6; color: #8a5a00; } .ok { background: #dff5e3; color: #1d6b34; }
  .kpis { display: flex; flex-wrap: wrap; gap: 8px; margin: 12px 0; }
  .kpi { flex: 1 1 120px; background: #faf6f2; border-radius: 8px; padding: 10px; }
  .kpi b { display: block; font-size: 18px; }
  .foot { padding: 16px 24px; color: #8d7f73; font-size: 12px; border-top: 1px solid #f0e7de; }
  @media (max-width: 480px) { .content { padding: 16px; } .head { padding: 14px 16px; } }
</style>
</head>
<body>
<span style="display:none;max-height:0;overflow:hidden">${opts.preheader}</span>
<div class="wrap"><div class="card">
<div class="head">ORA JEWELLERY</div>
<div class="content">${opts.body}</div>
<div class="foot">${opts.footer ?? "ORA Jewellery · This is an automated message; replies are not read."}</div>
</div></div>
</body>
</html>`.value;
}
