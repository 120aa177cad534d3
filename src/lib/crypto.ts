const encoder = new TextEncoder();

function hexToBytes(hex: string): Uint8Array | null {
  if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length % 2 !== 0) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function bytesToHex(bytes: ArrayBuffer | Uint8Array): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Checks a hex HMAC-SHA256 of the raw bytes. crypto.subtle.verify compares in constant time, and a
 * signature of the wrong length or alphabet is refused before any comparison.
 */
export async function verifyHmacSha256Hex(secret: string, body: Uint8Array, signatureHex: string): Promise<boolean> {
  const sig = hexToBytes(signatureHex.trim());
  if (sig?.length !== 32) return false;
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "verify",
  ]);
  return crypto.subtle.verify("HMAC", key, sig, body);
}

export async function hmacSha256Hex(secret: string, body: Uint8Array | string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const data = typeof body === "string" ? encoder.encode(body) : body;
  return bytesToHex(await crypto.subtle.sign("HMAC", key, data));
}

export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  return bytesToHex(await crypto.subtle.digest("SHA-256", typeof data === "string" ? encoder.encode(data) : data));
}

/** Compares two secrets in constant time, whatever their lengths (both are hashed first). */
export async function secretsEqual(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(given)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}
