export function startDatabaseProvisioner(): Promise<{ kind: string; url: string; close(): Promise<void> }>;
