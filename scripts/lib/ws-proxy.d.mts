export function startWsProxy(opts?: {
  port?: number;
  host?: string;
}): Promise<{ port: number; close(): Promise<void> }>;
