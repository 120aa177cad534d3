// Inline styles for email: mail clients (Gmail's mobile web, Outlook on Windows) drop <style> blocks
// and class selectors, so every element carries its own style. One place for the palette and sizes.
import { html, type SafeHtml } from "./html";

const FONT = `-apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif`;
export const BRAND = "#7a4b2a";

const cell = "padding:6px 4px;vertical-align:top;word-break:break-word;";

export const S = {
  body: "margin:0;padding:0;background-color:#f6f1ec;",
  outer: "width:100%;background-color:#f6f1ec;",
  card: "width:100%;max-width:600px;background-color:#ffffff;border-radius:10px;",
  head: `background-color:${BRAND};color:#ffffff;padding:18px 24px;font-family:${FONT};font-size:20px;letter-spacing:2px;font-weight:bold;`,
  content: `padding:24px;font-family:${FONT};font-size:15px;line-height:1.55;color:#2b2118;word-break:break-word;`,
  foot: `padding:16px 24px;font-family:${FONT};color:#8d7f73;font-size:12px;border-top:1px solid #f0e7de;`,
  h1: "font-size:20px;line-height:1.3;margin:0 0 12px 0;",
  p: "margin:0 0 12px 0;",
  muted: "color:#7d6e62;font-size:13px;",
  table: "width:100%;border-collapse:collapse;margin:12px 0;font-size:14px;",
  th: `${cell}text-align:left;border-bottom:2px solid #e8dcd0;color:#6b5b4d;font-weight:bold;`,
  thNum: `${cell}text-align:right;border-bottom:2px solid #e8dcd0;color:#6b5b4d;font-weight:bold;white-space:nowrap;`,
  td: `${cell}text-align:left;border-bottom:1px solid #f0e7de;`,
  tdNum: `${cell}text-align:right;border-bottom:1px solid #f0e7de;white-space:nowrap;`,
  total: `${cell}text-align:left;font-weight:bold;`,
  totalNum: `${cell}text-align:right;font-weight:bold;white-space:nowrap;`,
  kpi: "background-color:#faf6f2;padding:8px 10px;border-bottom:2px solid #ffffff;vertical-align:middle;",
  kpiValue: "text-align:right;font-size:18px;font-weight:bold;white-space:nowrap;",
} as const;

const PILL = {
  bad: "background-color:#fde2e1;color:#9b1c1c;",
  warn: "background-color:#fff1d6;color:#8a5a00;",
  ok: "background-color:#dff5e3;color:#1d6b34;",
} as const;
export type PillTone = keyof typeof PILL;

export function pill(label: string, tone: PillTone): SafeHtml {
  return html`<span style="${`padding:2px 8px;border-radius:10px;font-size:12px;font-weight:bold;white-space:nowrap;${PILL[tone]}`}">${label}</span>`;
}

/** A data table: presentation role, no spacing attributes left to the client's defaults. */
export function table(rows: SafeHtml | SafeHtml[]): SafeHtml {
  return html`<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="${S.table}">${rows}</table>`;
}
