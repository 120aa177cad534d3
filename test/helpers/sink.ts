import { env } from "cloudflare:workers";

/** A private Slack/Discord-style webhook for this test file. */
export function alertSink(name: string) {
  return {
    url: `${env.TEST_SINK_URL}/hook/${name}`,
    async posts(): Promise<{ text: string; content: string }[]> {
      const res = await fetch(`${env.TEST_SINK_URL}/__control/hooks?ns=${encodeURIComponent(name)}`);
      return ((await res.json()) as { posts: { text: string; content: string }[] }).posts;
    },
  };
}
