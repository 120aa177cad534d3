export function startRazorpayStub(opts?: { port?: number }): Promise<{ url: string; close(): Promise<void> }>;
