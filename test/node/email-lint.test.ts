// Every template against caniemail's data for the four client families the shop's customers use.
// Only the cosmetic features listed here may be unsupported somewhere, each with what happens there.
import { doIUseEmail } from "@jsx-email/doiuse-email";
import { describe, expect, it } from "vitest";
import { renderEmail } from "../../src/email/templates/render";
import { EMAIL_SAMPLES } from "../fixtures/email-samples";

const CLIENTS = ["gmail.*", "outlook.*", "apple-mail.*", "yahoo.*"];

/** Feature → what a client without it shows instead. Nothing else may be reported. */
const ALLOWED: Record<string, string> = {
  "`<body> element`": "some clients replace <body> with a <div>; the outer table carries the background",
  "`display:none`": "the hidden preheader shows as a line of background-coloured text at the top",
  "`role attribute`": "a screen-reader hint (layout tables); ignored where unsupported",
  "`border-radius`": "square corners instead of rounded ones",
  "`word-break`": "a very long unbroken word widens its cell instead of wrapping",
  "`white-space`": "an amount may wrap onto two lines",
};

describe("email templates in real mail clients (caniemail)", () => {
  for (const [name, sample] of Object.entries(EMAIL_SAMPLES)) {
    it(`${name}: nothing unsupported in Gmail, Outlook, Apple Mail or Yahoo beyond the cosmetic list`, () => {
      const { html } = renderEmail(sample.kind, sample.payload, "Asia/Kolkata");
      const result = doIUseEmail(html, { emailClients: CLIENTS }) as { success: boolean; errors?: string[] };
      const unexpected = (result.errors ?? []).filter((e) => !Object.keys(ALLOWED).some((f) => e.startsWith(f)));
      expect(unexpected).toEqual([]);
      // Styles are inline: no <style> block and no class for a client to drop.
      expect(html).not.toMatch(/<style|class="/);
    });
  }

  it("the lint itself finds what it should: a flexbox <style> layout fails", () => {
    const bad = `<!doctype html><html><head><style>.row { display: flex; flex-wrap: wrap }</style></head><body><div class="row">x</div></body></html>`;
    const result = doIUseEmail(bad, { emailClients: CLIENTS }) as { errors?: string[] };
    const unexpected = (result.errors ?? []).filter((e) => !Object.keys(ALLOWED).some((f) => e.startsWith(f)));
    expect(unexpected.join("\n")).toMatch(/Class selector|display:flex|flex-wrap/);
  });
});
