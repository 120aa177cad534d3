import type { Child, FC } from "hono/jsx";
import { formatInr } from "../../lib/money";
import { formatShopTime } from "../../lib/time";

// One stylesheet for every console page: phones first (tables scroll inside their section), no script.
const STYLE = `
*{box-sizing:border-box}
body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;background:#f6f4f1;color:#222;font-size:14px}
header{background:#2b2118;color:#fff;padding:10px 16px;display:flex;gap:12px;align-items:center;flex-wrap:wrap}
header .brand{font-size:17px;margin:0;letter-spacing:1px;color:#fff;text-decoration:none;font-weight:700}
header nav{display:flex;gap:12px;flex-wrap:wrap} header a{color:#f3d9b1}
header search{flex:1 1 260px;max-width:460px} header form{display:flex;gap:6px}
header input{flex:1;min-width:0;padding:6px 8px;border-radius:5px;border:1px solid #6b5a4a;font-size:14px}
main{padding:12px 16px;max-width:1400px} section{background:#fff;border-radius:8px;padding:12px 14px;margin-bottom:14px;overflow-x:auto}
h1{font-size:19px;margin:4px 0 12px} h2{font-size:15px;margin:4px 0 10px}
table{width:100%;border-collapse:collapse;font-size:13px}
th{text-align:left;color:#666;font-weight:600;border-bottom:2px solid #eee;padding:6px}
td{border-bottom:1px solid #f0f0f0;padding:6px;vertical-align:top}
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px}
.muted{color:#777;font-size:12px} .err{color:#b42318;font-size:12px;max-width:520px;overflow-wrap:anywhere}
.badge{padding:2px 8px;border-radius:10px;font-size:12px;font-weight:600;background:#eee}
.ok,.sent,.CONFIRMED,.DELIVERED,.CAPTURED,.captured,.succeeded{background:#dff5e3;color:#1d6b34}
.degraded,.queued,.PENDING,.running,.authorized,.SHIPPED{background:#fff1d6;color:#8a5a00}
.unhealthy,.failed,.dead,.FAILED,.CANCELLED,.REFUNDED,.refunded{background:#fde2e1;color:#9b1c1c}
form.inline{display:inline} button{font-size:13px;padding:5px 10px;border:1px solid #bbb;border-radius:5px;background:#fafafa;cursor:pointer;min-height:32px}
button.primary{background:#7a4b2a;color:#fff;border-color:#7a4b2a}
:focus-visible{outline:3px solid #2f6fd6;outline-offset:2px}
.kpis{display:flex;gap:10px;flex-wrap:wrap}.kpi{background:#faf6f2;border-radius:6px;padding:8px 14px;color:inherit;text-decoration:none}.kpi b{display:block;font-size:20px}
.notice{background:#eef6ff;border:1px solid #cfe3ff;border-radius:6px;padding:8px 12px;margin-bottom:12px}
.problem{background:#fdecea;border:1px solid #f5c2bd;border-radius:6px;padding:8px 12px;margin-bottom:12px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;margin:0} dt{color:#666} dd{margin:0;overflow-wrap:anywhere}
label{display:block;font-weight:600;margin:8px 0 3px} .field input,textarea{width:100%;max-width:420px;padding:6px 8px;font-size:14px;border:1px solid #bbb;border-radius:5px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:14px}
@media (max-width:600px){main{padding:8px} th,td{padding:5px 4px} header nav{width:100%}}`;

export interface PageProps {
  title: string;
  /** A message after a post (the redirect's `done`), shown once at the top. */
  notice?: string | undefined;
  problem?: string | undefined;
  now: Date;
  timeZone: string;
  query?: string;
  children?: Child;
}

/** The frame of every console page: title, phone viewport, the search box and the main sections. */
export const Page: FC<PageProps> = (p) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${p.title} · ORA Jobs`}</title>
      <style>{STYLE}</style>
    </head>
    <body>
      <header>
        <a class="brand" href="/admin">
          ORA JOBS
        </a>
        <search>
          <form method="get" action="/admin/search">
            <label for="q" style="position:absolute;left:-9999px">
              Search orders
            </label>
            <input
              id="q"
              name="q"
              type="search"
              value={p.query ?? ""}
              placeholder="Order number, email, pay_… or order_…"
            />
            <button type="submit">Search</button>
          </form>
        </search>
        <nav aria-label="Console">
          <a href="/admin">Overview</a>
          <a href="/admin/emails?status=failed">Emails</a>
          <a href="/admin/reviews">Reviews &amp; incidents</a>
        </nav>
        <span class="muted" style="color:#d9c7b0">
          {formatShopTime(p.now, p.timeZone)}
        </span>
      </header>
      <main>
        <h1>{p.title}</h1>
        {p.notice && (
          <div class="notice" id="notice" role="status">
            {p.notice}
          </div>
        )}
        {p.problem && (
          <div class="problem" id="problem" role="alert">
            {p.problem}
          </div>
        )}
        {p.children}
      </main>
    </body>
  </html>
);

/** A table with one header row: a heading starting with ">" is right-aligned; "" heads an action column. */
export const Table: FC<{ id?: string; head: string[]; caption?: Child; children?: Child }> = (p) => (
  <table id={p.id}>
    {p.caption && (
      <caption class="muted" style="text-align:left">
        {p.caption}
      </caption>
    )}
    <thead>
      <tr>{p.head.map((h) => (h.startsWith(">") ? <th style="text-align:right">{h.slice(1)}</th> : <th>{h}</th>))}</tr>
    </thead>
    <tbody>{p.children}</tbody>
  </table>
);

export const Badge: FC<{ value: string }> = ({ value }) => <span class={`badge ${value}`}>{value}</span>;

/** "—" for nothing, milliseconds below a second, else seconds. */
export const duration = (v: number | null | undefined) =>
  v == null ? "—" : v < 1000 ? `${v} ms` : `${(v / 1000).toFixed(1)} s`;

/** Paise as the shop writes them (the one money formatter); another currency is said in minor units. */
export const money = (minor: number, currency = "INR") =>
  currency === "INR" ? formatInr(minor) : `${currency} ${minor} (minor units)`;

/** A path back to `to` with the outcome of a post to show there (a notice, or a problem). */
export const withNotice = (to: string, message: string, as: "done" | "problem" = "done") =>
  `${to}${to.includes("?") ? "&" : "?"}${as}=${encodeURIComponent(message)}`;
