/**
 * The publish queue. A job asks a worker to append what is pending on its channel, and on `channels`
 * too (other channels of the same app whose accepts in the same event-loop turn asked for a job: one
 * job for them all). Job id = app id + the id of the first message that asked for it.
 */
export const PUBLISH_QUEUE = 'publish';
export const PUBLISH_JOB = 'append';

export interface PublishJob {
  appId: string;
  channel: string;
  messageId: string;
  epoch: string;
  offset: number;
  historySize: number;
  historyTtlMs: number;
  /** More channels of the same app (same window) to drain with this job. */
  channels?: string[];
}

/** BullMQ refuses ':' in custom ids. App ids contain no '.', so the first '.' separates the two. */
export function publishJobId(appId: string, messageId: string): string {
  return `${appId}.${messageId}`;
}
