/**
 * What an operator asked for that the ops layer will not do, and why: the thing is not there, the
 * request is not valid, or it conflicts with how the shop must run. The HTTP edge gives each its
 * status (404, 400, 409); the console shows the message back beside the form.
 */
export type RefusalReason = "unknown" | "invalid" | "conflict";

export class Refusal extends Error {
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
    this.name = "Refusal";
  }
}
