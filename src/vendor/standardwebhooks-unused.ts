// The resend SDK imports standardwebhooks only for `resend.webhooks.verify` (verifying webhooks that
// Resend sends to us), which this Worker never receives. wrangler.toml aliases the import here to
// keep it and its hashing dependencies out of the bundle; a call would fail loudly.
export class Webhook {
  constructor() {
    throw new Error("standardwebhooks is not bundled: ORA Jobs does not verify Resend webhooks");
  }
}
