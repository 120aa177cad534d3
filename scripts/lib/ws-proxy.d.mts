export function startWsProxy(opts?: { port?: number; host?: string; allowedPorts?: number[] | null }): Promise<{
  port: number;
  close(): Promise<void>;
  stats: { connections: number; roundTrips: number; dropped: number };
  faults: Map<string, { mode: "drop-before" | "drop-after"; at: number; times: number }>;
}>;
