import { env } from "cloudflare:workers";

export interface StubEmail {
  id: string;
  from: string;
  to: string[];
  subject: string;
  html: string;
  text: string;
  idempotencyKey: string | null;
  via: "single" | "batch";
}

/** Control of this file's partition of the Resend stub (partitioned by API key). */
export function resendStub(apiKey: string) {
  const url = (path: string) => `${env.RESEND_API_BASE}/__control/${path}?ns=${encodeURIComponent(apiKey)}`;
  return {
    apiKey,
    async emails(): Promise<{ emails: StubEmail[]; calls: { single: number; batch: number } }> {
      return (await fetch(url("emails"))).json();
    },
    async faults(faults: { kind: "429" | "500" | "422"; times?: number; match?: string; retryAfter?: number }[]) {
      await fetch(url("faults"), { method: "POST", body: JSON.stringify({ faults }) });
    },
    async reset() {
      await fetch(url("reset"), { method: "POST" });
    },
  };
}
