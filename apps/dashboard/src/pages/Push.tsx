import { useState, type FormEvent } from 'react';
import { api, appPath, ApiError, type PushAttempt, type PushAttempts, type PushOverview, type PushSubscriptionRow, type PushSubscriptions, type TestPush, type TestPushSent } from '../lib/api';
import { useAuth } from '../lib/auth';
import { fmt, useLoad } from '../lib/hooks';
import { Badge, Button, Card, Code, ConfirmDialog, EmptyState, ErrorBanner, Field, Input, KeyValue, Loading, Select, Stat, Table, focusFirstInvalid } from '../components/ui';
import { useApp } from './AppPage';

const outcomeTone: Record<string, 'green' | 'amber' | 'red' | 'neutral'> = { delivered: 'green', retry: 'amber', expired: 'neutral', failed: 'red', dropped: 'neutral' };
const originOf = (endpoint: string) => {
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint;
  }
};

/** Where the page code goes: the customer's sw.js and the subscribe call, with this deployment's URLs. */
function pageSnippets(gatewayUrl: string, apiUrl: string, appkey: string): { sw: string; page: string } {
  return {
    sw: `// sw.js, served from your site\nimportScripts('${gatewayUrl}/sdk/herald-sw.js');`,
    page: [
      `<script src="${gatewayUrl}/sdk/herald.js"></script>`,
      '<script>',
      `  const herald = Herald.init({ host: '${gatewayUrl}', api: '${apiUrl}', appkey: '${appkey}' });`,
      "  button.onclick = () => herald.push.subscribe({ channels: ['news'], userId: 'user-42', serviceWorker: '/sw.js' });",
      '</script>',
    ].join('\n'),
  };
}

function Overview({ overview }: { overview: PushOverview }) {
  const { app, commonKey } = useApp();
  const { config } = useAuth();
  const s = pageSnippets(config.gatewayUrl.replace(/\/$/, ''), (config.apiUrl || location.origin).replace(/\/$/, ''), commonKey ?? '<your common key>');
  return (
    <div className="grid-2 split split-2-1">
      <Card title="Web Push" data-testid="push-overview">
        <p className="muted">
          A publish with <code>push</code> reaches subscribed browsers as a notification, even with every tab closed (docs/push.md). Browsers fetch this VAPID public key
          with the app key; the private key never leaves Herald.
        </p>
        <dl className="kv">
          <dt>VAPID public key</dt>
          <dd>
            <KeyValue value={overview.publicKey} label="VAPID public key" />
          </dd>
        </dl>
        <div className="stats" style={{ marginTop: 12 }}>
          <Stat label="Subscriptions" value={fmt.num(overview.subscriptions)} data-testid="push-subscriptions" />
          <Stat label="Sent" value={fmt.num(overview.stats.sent)} data-testid="push-sent" />
          <Stat label="Delivered" value={fmt.num(overview.stats.delivered)} sub="accepted by the push service" data-testid="push-delivered" />
          <Stat label="Expired" value={fmt.num(overview.stats.expired)} sub="404/410: removed" data-testid="push-expired" />
          <Stat label="Failed" value={fmt.num(overview.stats.failed)} data-testid="push-failed" />
        </div>
      </Card>
      <Card title="In the page">
        <div className="stack">
          <Code label="JavaScript · your service worker" copy>
            {s.sw}
          </Code>
          <Code label={`HTML · subscribe ${app.name}'s users`} copy>
            {s.page}
          </Code>
        </div>
      </Card>
    </div>
  );
}

function TestForm({ appId, subscriptions, onSent }: { appId: string; subscriptions: PushSubscriptionRow[]; onSent: () => void }) {
  const [target, setTarget] = useState('');
  const [channel, setChannel] = useState('');
  const [title, setTitle] = useState('Hello from Herald');
  const [body, setBody] = useState('This is a test notification.');
  const [errors, setErrors] = useState<{ target?: string; title?: string }>({});
  const [error, setError] = useState<ApiError>();
  const [sent, setSent] = useState<string>();
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    const next: typeof errors = {};
    if (target === 'channel' ? !channel.trim() : !target) next.target = target === 'channel' ? 'Enter a channel.' : 'Pick a subscription or a channel.';
    if (!title.trim()) next.title = 'Enter a title.';
    setErrors(next);
    setError(undefined);
    setSent(undefined);
    if (Object.keys(next).length) return focusFirstInvalid(e.currentTarget as HTMLFormElement);
    setBusy(true);
    try {
      const req: TestPush = target === 'channel' ? { channel: channel.trim(), title: title.trim(), body } : { subscriptionId: target, title: title.trim(), body };
      const r = await api.post<TestPushSent, TestPush>(appPath(appId, '/push/test'), req);
      setSent(r.id);
      onSent();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="form" onSubmit={submit} noValidate aria-label="Send a test notification">
      <ErrorBanner error={error} title="The test notification was not sent" />
      {sent && (
        <div className="notice green" role="status" data-testid="push-test-sent">
          Queued ({sent}): see the delivery log.
        </div>
      )}
      <Field label="To" error={errors.target}>
        <Select value={target} onChange={(e) => setTarget(e.target.value)} name="push-target">
          <option value="">Choose…</option>
          {subscriptions.map((s) => (
            <option key={s.id} value={s.id}>
              {originOf(s.endpoint)} · {s.userId ?? 'no user'} · {s.channels.join(', ')}
            </option>
          ))}
          <option value="channel">Every subscription of a channel…</option>
        </Select>
      </Field>
      {target === 'channel' && (
        <Field label="Channel">
          <Input value={channel} onChange={(e) => setChannel(e.target.value)} placeholder="news" name="push-channel" />
        </Field>
      )}
      <Field label="Title" error={errors.title}>
        <Input value={title} onChange={(e) => setTitle(e.target.value)} name="push-title" />
      </Field>
      <Field label="Body">
        <Input value={body} onChange={(e) => setBody(e.target.value)} name="push-body" />
      </Field>
      <div>
        <Button type="submit" variant="primary" loading={busy}>
          Send test notification
        </Button>
      </div>
    </form>
  );
}

function Subscriptions({ appId, onChange }: { appId: string; onChange: () => void }) {
  const [channel, setChannel] = useState('');
  const [userId, setUserId] = useState('');
  const [filter, setFilter] = useState({ channel: '', userId: '' });
  const [cursor, setCursor] = useState<string>();
  const list = useLoad(
    (signal) => api.get<PushSubscriptions>(appPath(appId, '/push/subscriptions'), { signal, query: { channel: filter.channel, userId: filter.userId, cursor } }),
    `${appId}:${filter.channel}:${filter.userId}:${cursor ?? ''}`,
    { pollMs: 10_000 },
  );
  const [deleting, setDeleting] = useState<PushSubscriptionRow>();
  const [error, setError] = useState<ApiError>();
  async function remove() {
    if (!deleting) return;
    setError(undefined);
    try {
      await api.del(appPath(appId, `/push/subscriptions/${encodeURIComponent(deleting.id)}`));
      list.reload();
      onChange();
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setDeleting(undefined);
    }
  }
  const rows = list.data?.subscriptions ?? [];
  return (
    <>
      <div className="grid-2 split split-2-1">
        <Card title="Subscriptions" className="flush" data-testid="push-subscription-list">
          <form
            className="filters"
            style={{ padding: 12, display: 'flex', gap: 8 }}
            onSubmit={(e) => {
              e.preventDefault();
              setCursor(undefined);
              setFilter({ channel: channel.trim(), userId: userId.trim() });
            }}
            aria-label="Filter subscriptions"
          >
            <Input value={channel} onChange={(e) => setChannel(e.target.value)} placeholder="channel" aria-label="Channel" name="filter-channel" />
            <Input value={userId} onChange={(e) => setUserId(e.target.value)} placeholder="user id" aria-label="User id" name="filter-user" />
            <Button type="submit" size="sm">
              Filter
            </Button>
          </form>
          <ErrorBanner error={error ?? list.error} onRetry={list.reload} />
          {list.loading && !list.data ? (
            <Loading />
          ) : rows.length === 0 ? (
            <EmptyState title="No push subscriptions" icon="✉">
              Browsers appear here once a page calls <code>herald.push.subscribe()</code> (docs/push-sdk.md).
            </EmptyState>
          ) : (
            <Table head={['Push service', 'Channels', 'User', 'Since', '']} caption="Push subscriptions">
              {rows.map((s) => (
                <tr key={s.id}>
                  <td className="mono small" title={s.endpoint}>
                    {originOf(s.endpoint)}
                  </td>
                  <td className="small mono">{s.channels.join(', ')}</td>
                  <td className="small mono">{s.userId ?? '—'}</td>
                  <td className="small">{fmt.date(s.createdAt)}</td>
                  <td className="num">
                    <Button size="sm" variant="ghost" onClick={() => setDeleting(s)} aria-label={`Delete subscription ${s.id}`}>
                      Delete
                    </Button>
                  </td>
                </tr>
              ))}
            </Table>
          )}
          {(cursor || list.data?.nextCursor) && (
            <div style={{ padding: 12, display: 'flex', gap: 8 }}>
              {cursor && (
                <Button size="sm" onClick={() => setCursor(undefined)}>
                  First page
                </Button>
              )}
              {list.data?.nextCursor && (
                <Button size="sm" onClick={() => setCursor(list.data!.nextCursor ?? undefined)}>
                  Next page
                </Button>
              )}
            </div>
          )}
        </Card>
        <Card title="Send a test notification">
          <TestForm appId={appId} subscriptions={rows} onSent={onChange} />
        </Card>
      </div>
      <ConfirmDialog open={!!deleting} title="Delete this subscription?" action="Delete" onCancel={() => setDeleting(undefined)} onConfirm={remove}>
        <p>The browser stops receiving this app&rsquo;s notifications until its page subscribes again.</p>
      </ConfirmDialog>
    </>
  );
}

function DeliveryLog({ appId, tick }: { appId: string; tick: number }) {
  const [cursor, setCursor] = useState<string>();
  const log = useLoad((signal) => api.get<PushAttempts>(appPath(appId, '/push/deliveries'), { signal, query: { cursor } }), `${appId}:${cursor ?? ''}:${tick}`, { pollMs: 5_000 });
  const rows: PushAttempt[] = log.data?.attempts ?? [];
  return (
    <Card
      title="Delivery log"
      className="flush"
      data-testid="push-delivery-log"
      actions={
        <Button size="sm" variant="ghost" onClick={log.reload}>
          Refresh
        </Button>
      }
    >
      <ErrorBanner error={log.error} onRetry={log.reload} title="Could not load the delivery log" />
      {log.loading && !log.data ? (
        <Loading />
      ) : rows.length === 0 ? (
        <EmptyState title="No deliveries yet" icon="↯">
          Every attempt to a push service appears here: publishes with <code>push</code> and test notifications.
        </EmptyState>
      ) : (
        <Table head={['Time', 'Channel', 'Message', 'Push service', 'Answer', 'Outcome', 'Latency']} numeric={[6]} caption="Push delivery attempts">
          {rows.map((a) => (
            <tr key={a.id}>
              <td className="small">{fmt.date(a.at)}</td>
              <td className="small mono">{a.channel}</td>
              <td className="small mono">{a.messageId}</td>
              <td className="small mono">{originOf(a.origin)}</td>
              <td className="small">{a.statusCode ? `HTTP ${a.statusCode}` : (a.error ?? '—')}</td>
              <td>
                <Badge tone={outcomeTone[a.outcome] ?? 'neutral'}>{a.outcome}</Badge>
              </td>
              <td className="num">{a.latencyMs} ms</td>
            </tr>
          ))}
        </Table>
      )}
      {(cursor || log.data?.nextCursor) && (
        <div style={{ padding: 12, display: 'flex', gap: 8 }}>
          {cursor && (
            <Button size="sm" onClick={() => setCursor(undefined)}>
              Newest
            </Button>
          )}
          {log.data?.nextCursor && (
            <Button size="sm" onClick={() => setCursor(log.data!.nextCursor ?? undefined)}>
              Older
            </Button>
          )}
        </div>
      )}
    </Card>
  );
}

/** The app's Web Push through the owner routes (/v1/apps/:appId/push): key, counters, subscriptions, log, a test send. */
export function PushTab() {
  const { app } = useApp();
  const overview = useLoad((signal) => api.get<PushOverview>(appPath(app.id, '/push'), { signal }), app.id, { pollMs: 5_000 });
  const [tick, setTick] = useState(0);
  const changed = () => {
    overview.reload();
    setTick((t) => t + 1);
  };
  return (
    <div className="stack">
      <ErrorBanner error={overview.error} onRetry={overview.reload} title="Could not load Web Push" />
      {overview.data ? <Overview overview={overview.data} /> : overview.loading && <Loading />}
      <Subscriptions appId={app.id} onChange={changed} />
      <DeliveryLog appId={app.id} tick={tick} />
    </div>
  );
}
