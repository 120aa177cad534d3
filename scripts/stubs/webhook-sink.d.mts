export function startWebhookSink(opts?: { port?: number }): Promise<{ url: string; close(): Promise<void> }>;
