import { describe, expect, it } from "vitest";
import { RenderError, renderEmail } from "../../src/email/templates/render";
import { formatInr } from "../../src/lib/money";
import { EMAIL_SAMPLES, HOSTILE } from "../fixtures/email-samples";

const TZ = "Asia/Kolkata";

describe("email templates", () => {
  for (const [name, sample] of Object.entries(EMAIL_SAMPLES)) {
    it(`${name}: renders HTML and text with every database value escaped`, () => {
      const r = renderEmail(sample.kind, sample.payload, TZ);
      expect(r.subject.length).toBeGreaterThan(5);
      expect(r.html).toContain('<meta name="viewport"');
      expect(r.text.length).toBeGreaterThan(10);
      expect(r.html).not.toContain("<script>window.__xss");
      expect(r.html).not.toContain("<img src=x");
      // Every sample carries hostile text in every free-text field, so this is asserted for all.
      expect(JSON.stringify(sample.payload)).toContain("__xss");
      expect(r.html).toContain("&lt;script&gt;window.__xss=1&lt;/script&gt;");
      expect(r.subject).not.toMatch(/[\r\n]/);
    });
  }

  it("formats rupees with Indian digit grouping", () => {
    expect(formatInr(1_23_45_678_00)).toBe("₹1,23,45,678.00");
    expect(formatInr(99_900)).toBe("₹999.00");
    const r = renderEmail("order-status", EMAIL_SAMPLES["order-confirmation"]?.payload, TZ);
    expect(r.html).toContain("₹1,23,45,678.00");
    expect(r.text).toContain("Total: ₹1,23,45,678.00");
  });

  it("dates the order confirmation's estimated delivery in IST, not UTC", () => {
    // at = 28 Nov 20:00 UTC = 29 Nov 01:30 IST → delivery 7 shop days later: 6 Dec.
    const r = renderEmail("order-status", EMAIL_SAMPLES["order-confirmation"]?.payload, TZ);
    expect(r.text).toMatch(/Estimated delivery: Sun, 6 Dec,? 2026/);
    expect(r.subject).toMatch(/^Order Confirmation - ORA-2026-000123 /);
  });

  it("keeps a hostile product name as text in the plain-text part", () => {
    const r = renderEmail("order-status", EMAIL_SAMPLES["order-confirmation"]?.payload, TZ);
    expect(r.text).toContain(HOSTILE);
  });

  it("refuses a payload that does not fit its kind, and an unknown kind", () => {
    expect(() => renderEmail("order-status", { orderNumber: 1 }, TZ)).toThrow(RenderError);
    expect(() => renderEmail("carrier-pigeon", {}, TZ)).toThrow(/no template/);
  });
});
