import { useState, type FormEvent } from 'react';
import { api, appPath, ApiError, type CreateWebhook, type CreatedWebhook, type Delivery, type Replay, type UpdateWebhook, type Webhook, type WebhookEvent } from '../lib/api';
import { fmt, useLoad } from '../lib/hooks';
import { Badge, Button, Card, ConfirmDialog, Dialog, EmptyState, ErrorBanner, Field, Input, KeyValue, Loading, Select, Table, focusFirstInvalid } from '../components/ui';
import { useApp } from './AppPage';

export const EVENT_TYPES: WebhookEvent[] = ['message.published', 'channel.occupied', 'channel.vacated', 'member.joined', 'member.left', 'client.event', 'cache.miss'];
const deliveryTone = { delivered: 'green', failed: 'red', pending: 'amber' } as const;

function WebhookForm({ appId, onCreated }: { appId: string; onCreated: (w: CreatedWebhook) => void }) {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<WebhookEvent[]>(['channel.occupied', 'channel.vacated']);
  const [format, setFormat] = useState<Webhook['format']>('herald');
  const [errors, setErrors] = useState<{ url?: string; events?: string }>({});
  const [apiError, setApiError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    const next: typeof errors = {};
    try {
      const u = new URL(url.trim());
      if (!/^https?:$/.test(u.protocol)) next.url = 'Use an http:// or https:// URL.';
    } catch {
      next.url = 'Enter the full URL of your endpoint, e.g. https://example.com/herald/webhooks.';
    }
    if (!events.length) next.events = 'Pick at least one event.';
    setErrors(next);
    setApiError(undefined);
    if (Object.keys(next).length) return focusFirstInvalid(e.currentTarget as HTMLFormElement);
    setBusy(true);
    try {
      const w = await api.post<CreatedWebhook, CreateWebhook>(appPath(appId, '/webhooks'), { url: url.trim(), events, format });
      setUrl('');
      onCreated(w);
    } catch (err) {
      setApiError(err as ApiError);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="form" onSubmit={submit} noValidate aria-label="Add a webhook endpoint">
      <ErrorBanner error={apiError} title="The endpoint was not added" />
      <Field label="Endpoint URL" error={errors.url} hint="Herald POSTs signed JSON batches here (HMAC-SHA256, see docs/webhooks.md).">
        <Input value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.com/herald/webhooks" name="webhook-url" />
      </Field>
      <Field label="Format" hint="Pusher's body and X-Pusher-Signature, for receivers written for Pusher (docs/pusher.md).">
        <Select value={format} onChange={(e) => setFormat(e.target.value as Webhook['format'])} name="webhook-format">
          <option value="herald">Herald</option>
          <option value="pusher">Pusher</option>
        </Select>
      </Field>
      <fieldset className="checks" aria-describedby={errors.events ? 'events-error' : undefined}>
        <legend>Events</legend>
        {EVENT_TYPES.map((t) => (
          <label key={t} className="check">
            <input type="checkbox" checked={events.includes(t)} onChange={(e) => setEvents((ev) => (e.target.checked ? [...ev, t] : ev.filter((x) => x !== t)))} />
            <code>{t}</code>
          </label>
        ))}
      </fieldset>
      {errors.events && (
        <div className="field-error" id="events-error" role="alert">
          {errors.events}
        </div>
      )}
      <div>
        <Button type="submit" variant="primary" loading={busy}>
          Add endpoint
        </Button>
      </div>
    </form>
  );
}

function Deliveries({ appId, webhook }: { appId: string; webhook: Webhook }) {
  const base = appPath(appId, `/webhooks/${webhook.id}`);
  const list = useLoad((signal) => api.get<Delivery[]>(`${base}/deliveries`, { signal, query: { limit: 50 } }), webhook.id, { pollMs: 10_000 });
  const [error, setError] = useState<ApiError>();
  const [notice, setNotice] = useState<string>();
  const [open, setOpen] = useState<Delivery>();
  async function replay(d?: Delivery) {
    setError(undefined);
    try {
      const r = d ? await api.post<Replay>(`${base}/deliveries/${d.id}/replay`) : await api.post<Replay>(`${base}/replay`, {});
      setNotice(`${r.replayed} deliver${r.replayed === 1 ? 'y' : 'ies'} queued again.`);
      list.reload();
    } catch (e) {
      setError(e as ApiError);
    }
  }
  return (
    <Card
      title={<>Delivery log <span className="muted small mono">{webhook.url}</span></>}
      className="flush"
      actions={
        <>
          <Button size="sm" onClick={() => replay()}>
            Replay all failed
          </Button>
          <Button size="sm" variant="ghost" onClick={list.reload}>
            Refresh
          </Button>
        </>
      }
    >
      <div style={{ padding: error || notice ? 16 : 0 }}>
        <ErrorBanner error={error} />
        {notice && (
          <div className="notice green" role="status">
            {notice}
          </div>
        )}
      </div>
      <ErrorBanner error={list.error} onRetry={list.reload} title="Could not load deliveries" />
      {list.loading && !list.data ? (
        <Loading />
      ) : list.data && list.data.length === 0 ? (
        <EmptyState title="No deliveries yet" icon="↯">
          Deliveries appear when one of the selected events happens, e.g. a client subscribes to a channel nobody was on.
        </EmptyState>
      ) : (
        list.data && (
          <Table head={['Created', 'Events', 'Status', 'Attempts', 'Last answer', '']} numeric={[3]} caption="Deliveries">
            {list.data.map((d) => {
              const last = d.attemptLog.at(-1);
              return (
                <tr key={d.id}>
                  <td className="small">{fmt.date(d.createdAt)}</td>
                  <td className="small mono">{[...new Set(d.eventTypes)].join(', ')}</td>
                  <td>
                    <Badge tone={deliveryTone[d.status]}>{d.status}</Badge>
                  </td>
                  <td className="num">
                    {d.attempts}
                    {d.replays ? ` (+${d.replays} replays)` : ''}
                  </td>
                  <td className="small">{last ? (last.statusCode ? `HTTP ${last.statusCode}` : (last.error ?? 'error')) + ` · ${last.latencyMs} ms` : '—'}</td>
                  <td className="num">
                    <Button size="sm" variant="ghost" onClick={() => setOpen(d)}>
                      View
                    </Button>
                    <Button size="sm" variant="ghost" onClick={() => replay(d)}>
                      Replay
                    </Button>
                  </td>
                </tr>
              );
            })}
          </Table>
        )
      )}
      <Dialog open={!!open} title="Delivery" onClose={() => setOpen(undefined)} footer={<Button onClick={() => setOpen(undefined)}>Close</Button>}>
        {open && (
          <>
            <div className="small muted mono">{open.id}</div>
            <pre className="mono small" style={{ maxHeight: 260, overflow: 'auto', background: 'var(--surface-2)', padding: 10, borderRadius: 6 }}>
              {JSON.stringify(open.body, null, 2)}
            </pre>
            <Table head={['Attempt', 'Answer', 'Latency']} numeric={[2]}>
              {open.attemptLog.map((a, i) => (
                <tr key={i}>
                  <td className="small">{fmt.date(a.at)}</td>
                  <td className="small">{a.ok ? <Badge tone="green">HTTP {a.statusCode}</Badge> : <Badge tone="red">{a.statusCode ? `HTTP ${a.statusCode}` : (a.error ?? 'error')}</Badge>}</td>
                  <td className="num">{a.latencyMs} ms</td>
                </tr>
              ))}
            </Table>
          </>
        )}
      </Dialog>
    </Card>
  );
}

export function WebhooksTab() {
  const { app } = useApp();
  const hooks = useLoad((signal) => api.get<Webhook[]>(appPath(app.id, '/webhooks'), { signal }), app.id);
  const [created, setCreated] = useState<CreatedWebhook>();
  const [selected, setSelected] = useState<string>();
  const [deleting, setDeleting] = useState<Webhook>();
  const [error, setError] = useState<ApiError>();
  const toggle = async (w: Webhook) => {
    setError(undefined);
    try {
      await api.patch<Webhook, UpdateWebhook>(appPath(app.id, `/webhooks/${w.id}`), { enabled: !w.enabled });
      hooks.reload();
    } catch (e) {
      setError(e as ApiError);
    }
  };
  const remove = async () => {
    if (!deleting) return;
    try {
      await api.del(appPath(app.id, `/webhooks/${deleting.id}`));
      if (selected === deleting.id) setSelected(undefined);
      hooks.reload();
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setDeleting(undefined);
    }
  };
  const sel = hooks.data?.find((w) => w.id === selected);
  return (
    <div className="stack">
      <ErrorBanner error={error} />
      <div className="grid-2 split split-2-1">
        <Card title="Endpoints" className="flush">
          <ErrorBanner error={hooks.error} onRetry={hooks.reload} title="Could not load webhooks" />
          {hooks.loading && !hooks.data ? (
            <Loading />
          ) : hooks.data && hooks.data.length === 0 ? (
            <EmptyState title="No webhook endpoints" icon="↯">
              Get told on your server when channels become occupied or vacated, members join or leave, or messages are published.
            </EmptyState>
          ) : (
            hooks.data && (
              <Table head={['URL', 'Events', 'State', '']} caption="Webhook endpoints">
                {hooks.data.map((w) => (
                  <tr key={w.id} className={selected === w.id ? 'selected' : undefined}>
                    <td className="mono small" style={{ wordBreak: 'break-all' }}>
                      {w.url}
                    </td>
                    <td className="small">
                      {w.events.join(', ')} {w.format === 'pusher' && <Badge>Pusher format</Badge>}
                    </td>
                    <td>{w.enabled ? <Badge tone="green">enabled</Badge> : <Badge>disabled</Badge>}</td>
                    <td className="num" style={{ whiteSpace: 'nowrap' }}>
                      <Button size="sm" variant="ghost" onClick={() => setSelected(w.id)}>
                        Deliveries
                      </Button>
                      <Button size="sm" variant="ghost" onClick={() => toggle(w)}>
                        {w.enabled ? 'Disable' : 'Enable'}
                      </Button>
                      <Button size="sm" variant="ghost" onClick={() => setDeleting(w)} aria-label={`Delete ${w.url}`}>
                        Delete
                      </Button>
                    </td>
                  </tr>
                ))}
              </Table>
            )
          )}
        </Card>
        <Card title="Add an endpoint">
          <WebhookForm
            appId={app.id}
            onCreated={(w) => {
              setCreated(w);
              hooks.reload();
              setSelected(w.id);
            }}
          />
        </Card>
      </div>
      {sel && <Deliveries appId={app.id} webhook={sel} />}
      <Dialog open={!!created?.secret} title="Signing secret" onClose={() => setCreated(undefined)} footer={<Button variant="primary" onClick={() => setCreated(undefined)}>I saved it</Button>}>
        <p>Verify each request’s signature with this secret. It is shown only now.</p>
        {created?.secret && <KeyValue value={created.secret} label="Webhook secret" />}
      </Dialog>
      <ConfirmDialog open={!!deleting} title="Delete this endpoint?" action="Delete" onCancel={() => setDeleting(undefined)} onConfirm={remove}>
        <p>
          <code>{deleting?.url}</code> and its delivery log are deleted.
        </p>
      </ConfirmDialog>
    </div>
  );
}
