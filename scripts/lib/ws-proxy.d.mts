export function startWsProxy(opts?: { port?: number; host?: string; allowedPorts?: number[] | null }): Promise<{
  port: number;
  close(): Promise<void>;
  stats: {
    connections: number;
    roundTrips: number;
    dropped: number;
    byDatabase: Record<string, { connections: number; roundTrips: number }>;
  };
  faults: Map<string, { mode: "drop-before" | "drop-after"; at: number; times: number }>;
}>;
