export function startResendStub(opts?: { port?: number }): Promise<{ url: string; close(): Promise<void> }>;
