import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { renderEmail } from "../../src/email/templates/render";
import { EMAIL_SAMPLES, HOSTILE } from "../fixtures/email-samples";
import { describeWithBrowser, launchChromium } from "./browser";

const OUT = path.resolve("test-results/emails");
describeWithBrowser("email templates in a real browser", () => {
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  // As sent, and as a client that drops every <style> block would show it (Gmail's mobile web, Outlook).
  const variants = [
    ["", (h: string) => h],
    ["-no-style", (h: string) => h.replace(/<style[\s\S]*?<\/style>/gi, "")],
  ] as const;
  for (const [name, sample] of Object.entries(EMAIL_SAMPLES)) {
    for (const [suffix, transform] of variants) {
      it(`${name}${suffix}: renders on a phone with no script run and no sideways scroll`, async () => {
        const html = transform(renderEmail(sample.kind, sample.payload, "Asia/Kolkata").html);
        writeFileSync(path.join(OUT, `${name}${suffix}.html`), html);
        const page = await browser.newPage({ viewport: { width: 375, height: 700 } });
        await page.setContent(html, { waitUntil: "load" });
        const state = await page.evaluate(() => ({
          xss: (window as unknown as { __xss?: number }).__xss ?? null,
          scripts: document.querySelectorAll("script, img").length,
          // Nothing may stick out past the phone's width.
          overflow: Math.max(
            document.documentElement.scrollWidth - window.innerWidth,
            ...[...document.querySelectorAll("body *")].map(
              (el) => el.getBoundingClientRect().right - window.innerWidth,
            ),
          ),
          // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a reader sees
          text: document.body.innerText,
        }));
        await page.screenshot({ path: path.join(OUT, `${name}${suffix}.png`), fullPage: true });
        await page.close();
        expect(state.xss).toBeNull();
        expect(state.scripts).toBe(0);
        expect(state.overflow).toBeLessThanOrEqual(0);
        expect(state.text).toContain("ORA JEWELLERY");
        expect(state.text).toContain(HOSTILE);
      });
    }
  }
});
