// Optional secrets: `wrangler types` lists only [vars] and the required secrets.
interface __BaseEnv_Env {
  /** Slack/Discord incoming webhook for operator alerts; a credential, so a secret (optional). */
  ALERT_WEBHOOK_URL?: string;
}
