import type { CSSProperties } from 'react';
import type { Plan } from '../lib/api';
import { fmt } from '../lib/hooks';
import { originsAllowedText } from '../lib/origins';

/**
 * A plan's limits as a definition list (create-app form and Settings). `allowedOrigins`: the app's
 * allow-list, so "Origins allowed" says what this app accepts, not only what the plan forces.
 */
export function PlanLimitsList({ plan, allowedOrigins, style }: { plan: Plan; allowedOrigins?: readonly string[]; style?: CSSProperties }) {
  return (
    <dl className="kv" data-testid="plan-limits" style={style}>
      <dt>Concurrent connections</dt>
      <dd>{fmt.num(plan.maxConnections)}</dd>
      <dt>Messages per day</dt>
      <dd>{fmt.num(plan.maxMessagesPerDay)}</dd>
      <dt>Publishes per second</dt>
      <dd>{fmt.num(plan.maxPublishesPerSecond)}</dd>
      <dt>Largest message</dt>
      <dd>{fmt.bytes(plan.maxPayloadBytes)}</dd>
      <dt>History per channel</dt>
      <dd>{fmt.num(plan.historySize)} msgs</dd>
      <dt>History kept</dt>
      <dd>{fmt.seconds(plan.historyTtlSeconds)}</dd>
      <dt>Channels per connection</dt>
      <dd>{fmt.num(plan.maxChannelsPerConnection)}</dd>
      <dt>Origins allowed</dt>
      <dd data-testid="origins-allowed">{originsAllowedText(plan, allowedOrigins)}</dd>
      <dt>Schedule ahead</dt>
      <dd>{fmt.seconds(plan.maxScheduleDelaySeconds)}</dd>
      <dt>Scheduled waiting</dt>
      <dd>{fmt.num(plan.maxScheduledPending)} msgs</dd>
      <dt>Webhook endpoints</dt>
      <dd>{fmt.num(plan.maxWebhooks)}</dd>
      <dt>Client events</dt>
      <dd>{fmt.num(plan.maxClientEventsPerSecond)}/s per connection</dd>
      <dt>Archive retention</dt>
      <dd>{plan.archiveRetentionDays} days</dd>
    </dl>
  );
}
