import { describe, expect, it } from "vitest";

// docs/ARCHITECTURE.md, "Layers": each folder may import only the folders below it in this list.
const LAYERS = [
  "vendor",
  "db",
  "lib",
  "notices",
  "alerts",
  "payments",
  "shipping",
  "email",
  "tasks",
  "scheduler",
  "ops",
  "wiring",
  "http",
  "(root)",
] as const;
// Siblings on the same level that must not know each other either.
const FORBIDDEN: [string, string][] = [
  ["email", "payments"],
  ["email", "shipping"],
  ["payments", "email"],
  ["shipping", "email"],
  ["tasks", "email"],
];

const sources = import.meta.glob("../../src/**/*.{ts,tsx}", {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;

const folderOf = (path: string) => {
  const rel = path.replace(/^.*\/src\//, "");
  return rel.includes("/") ? (rel.split("/")[0] ?? "(root)") : "(root)";
};

function imports(): { from: string; to: string; file: string; spec: string }[] {
  const out = [];
  for (const [file, text] of Object.entries(sources)) {
    for (const m of text.matchAll(/from "(\.{1,2}\/[^"]+)"/g)) {
      const spec = m[1] ?? "";
      const parts = file
        .replace(/^.*\/src\//, "")
        .split("/")
        .slice(0, -1);
      for (const seg of spec.split("/")) {
        if (seg === "..") parts.pop();
        else if (seg !== ".") parts.push(seg);
      }
      const to = parts.length > 1 ? (parts[0] ?? "(root)") : "(root)";
      out.push({ from: folderOf(file), to, file: file.replace(/^.*\/src\//, "src/"), spec });
    }
  }
  return out;
}

describe("layers", () => {
  it("every src/ folder is a known layer", () => {
    const folders = new Set(Object.keys(sources).map(folderOf));
    expect([...folders].filter((f) => !(LAYERS as readonly string[]).includes(f))).toEqual([]);
  });

  it("no import goes up a layer, and no folder imports in a circle", () => {
    const rank = (f: string) => (LAYERS as readonly string[]).indexOf(f);
    const upward = imports()
      .filter((i) => i.from !== i.to)
      .filter((i) => rank(i.to) > rank(i.from) || FORBIDDEN.some(([a, b]) => a === i.from && b === i.to))
      .map((i) => `${i.file} imports ${i.spec} (${i.from} → ${i.to})`);
    expect(upward).toEqual([]);
  });

  it("the HTTP error is raised only at the HTTP edge; the layers below raise their own", () => {
    const outside = Object.entries(sources)
      .filter(([file, text]) => folderOf(file) !== "http" && /\bAppError\b/.test(text))
      .map(([file]) => file.replace(/^.*\/src\//, "src/"));
    expect(outside).toEqual([]);
  });

  it("the bench and the harness never import the tests; the harness imports only src/ and scripts/", () => {
    const outside = import.meta.glob(["../../bench/**/*.ts", "../../harness/**/*.ts"], {
      query: "?raw",
      import: "default",
      eager: true,
    }) as Record<string, string>;
    expect(Object.keys(outside).some((f) => f.includes("/harness/"))).toBe(true);
    const wrong = [];
    for (const [file, text] of Object.entries(outside)) {
      for (const m of text.matchAll(/from "(\.{1,2}\/[^"]+)"/g)) {
        const spec = m[1] ?? "";
        const inHarness = file.includes("/harness/");
        const ok = inHarness
          ? /^\.\.\/(src|scripts)\//.test(spec) || spec.startsWith("./")
          : !/(^|\/)test\//.test(spec);
        if (!ok) wrong.push(`${file.replace(/^.*\/(bench|harness)\//, "$1/")} imports ${spec}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
