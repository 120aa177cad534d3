import { withNotice } from "./shell";

type FormBody = Record<string, string | File | (string | File)[]>;

/** A form's text field; anything else (a file, a repeated field) reads as absent. */
export function field(body: FormBody, name: string): string | undefined {
  const v = body[name];
  return typeof v === "string" ? v : undefined;
}

/**
 * Where a post goes back to, with its outcome: the form's own `back` when it is a console path
 * (never another site: "//host" and absolute URLs are refused), else `fallback`.
 */
export function backTo(body: FormBody, fallback: string, message: string): string {
  const back = field(body, "back");
  const safe = back && /^\/admin(?:[/?#]|$)/.test(back) && !back.startsWith("//") ? back : fallback;
  return withNotice(safe, message);
}
