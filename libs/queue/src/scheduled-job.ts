/** Scheduled publishes: one delayed job per message, fired at its time; the row in Postgres holds its state. */
export const SCHEDULED_QUEUE = 'scheduled';
export const SCHEDULED_JOB = 'fire';

export interface ScheduledJob {
  appId: string;
  /** The message id the publish will carry (idempotency key): firing twice stores it once. */
  messageId: string;
}

export function scheduledJobId(appId: string, messageId: string): string {
  return `${appId}.${messageId}`;
}
