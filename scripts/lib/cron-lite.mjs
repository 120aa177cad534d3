// Just enough cron for the local schedule: wrangler.toml's UTC expressions (*, n, a-b, lists, */n).
function field(text, value, min, max) {
  return text.split(",").some((part) => {
    const [range, stepText] = part.split("/");
    const step = stepText ? Number(stepText) : 1;
    let lo = min;
    let hi = max;
    if (range !== "*") {
      const [a, b] = range.split("-").map(Number);
      lo = a;
      hi = b ?? (stepText ? max : a);
    }
    return value >= lo && value <= hi && (value - lo) % step === 0;
  });
}

export function cronFires(expr, at) {
  const [m, h, dom, mon, dow] = expr.trim().split(/\s+/);
  return (
    field(m, at.getUTCMinutes(), 0, 59) &&
    field(h, at.getUTCHours(), 0, 23) &&
    field(dom, at.getUTCDate(), 1, 31) &&
    field(mon, at.getUTCMonth() + 1, 1, 12) &&
    field(dow, at.getUTCDay(), 0, 7)
  );
}

export function wranglerCrons(toml) {
  const block = /crons\s*=\s*\[([\s\S]*?)\]/.exec(toml)?.[1] ?? "";
  return [...block.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
}
