import { csrf } from "hono/csrf";
import { secureHeaders } from "hono/secure-headers";
import { Hono } from "hono/tiny";
import { requireAdmin } from "../auth";
import { type WithDeps, withDeps } from "../context";
import { smallBody } from "../validate";
import { emailPages } from "./emails";
import { homePage } from "./home";
import { orderPages } from "./orders";
import { reviewPages } from "./reviews";
import { runPages } from "./runs";
import { taskPages } from "./tasks";

/** The ops console under /admin: server-rendered pages and form posts, no script. */
export const opsConsole = new Hono<WithDeps>();
// Nothing of the console may be framed (a stolen click on "Pause"), sniffed or given a script.
opsConsole.use(
  "*",
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      styleSrc: ["'unsafe-inline'"],
      imgSrc: ["'self'", "data:"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
    xFrameOptions: "DENY",
    referrerPolicy: "same-origin",
  }),
  requireAdmin({ basic: true }),
  // Basic-auth credentials ride along on any form post, so posts must come from the console itself.
  csrf(),
  smallBody,
  withDeps,
);
// Pages carry customers' details: never kept by a browser or a proxy.
opsConsole.use("*", async (c, next) => {
  await next();
  c.header("Cache-Control", "no-store");
});
opsConsole.route("/", homePage);
opsConsole.route("/", orderPages);
opsConsole.route("/", emailPages);
opsConsole.route("/", runPages);
opsConsole.route("/", taskPages);
opsConsole.route("/", reviewPages);
