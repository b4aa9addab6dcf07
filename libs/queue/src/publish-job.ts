/** The publish queue: one job per accepted message; job id = app id + message id. */
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
}

/** BullMQ refuses ':' in custom ids. App ids contain no '.', so the first '.' separates the two. */
export function publishJobId(appId: string, messageId: string): string {
  return `${appId}.${messageId}`;
}
