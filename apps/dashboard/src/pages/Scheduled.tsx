import { useState, type FormEvent } from 'react';
import { api, appPath, ApiError, type Publish, type Scheduled } from '../lib/api';
import { fmt, useLoad } from '../lib/hooks';
import { Badge, Button, Card, EmptyState, ErrorBanner, Field, Input, Loading, Select, Table, Textarea, focusFirstInvalid } from '../components/ui';
import { useApp } from './AppPage';

const STATUSES = ['scheduled', 'published', 'cancelled', 'failed', 'publishing'] as const;
const tone = { scheduled: 'blue', publishing: 'amber', published: 'green', cancelled: 'neutral', failed: 'red' } as const;

/** The app's scheduled messages through the owner routes (/v1/apps/:appId/scheduled): no secret in the browser. */
export function ScheduledTab() {
  const { app } = useApp();
  const [status, setStatus] = useState<(typeof STATUSES)[number]>('scheduled');
  const list = useLoad((signal) => api.get<Scheduled[]>(appPath(app.id, '/scheduled'), { signal, query: { status, limit: 100 } }), `${app.id}:${status}`, { pollMs: 10_000 });
  const [channel, setChannel] = useState('lobby');
  const [message, setMessage] = useState('{"text":"See you in a minute"}');
  const [minutes, setMinutes] = useState('1');
  const [errors, setErrors] = useState<{ minutes?: string; channel?: string }>({});
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const maxMin = Math.floor(app.plan.maxScheduleDelaySeconds / 60);

  async function schedule(e: FormEvent) {
    e.preventDefault();
    const m = Number(minutes);
    const next: typeof errors = {};
    if (!channel.trim()) next.channel = 'Enter a channel.';
    if (!Number.isFinite(m) || m <= 0) next.minutes = 'Enter a number of minutes above 0.';
    else if (m > maxMin) next.minutes = `At most ${fmt.num(maxMin)} minutes on the ${app.plan.id} plan.`;
    setErrors(next);
    setError(undefined);
    if (Object.keys(next).length) return focusFirstInvalid(e.currentTarget as HTMLFormElement);
    let msg: unknown = message;
    try {
      msg = JSON.parse(message);
    } catch {
      /* text */
    }
    setBusy(true);
    try {
      await api.post<Scheduled, Publish>(appPath(app.id, '/scheduled'), { channel: channel.trim(), message: msg, delay: Math.round(m * 60_000) });
      list.reload();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  }
  async function cancel(s: Scheduled) {
    setError(undefined);
    try {
      await api.del(appPath(app.id, `/scheduled/${encodeURIComponent(s.id)}`));
      list.reload();
    } catch (err) {
      setError(err as ApiError);
    }
  }

  return (
    <div className="grid-2 split split-2-1">
      <Card
        title="Scheduled messages"
        className="flush"
        actions={
          <Field label={<span className="sr-only">Status</span>}>
            <Select value={status} onChange={(e) => setStatus(e.target.value as typeof status)} style={{ height: 30 }}>
              {STATUSES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </Select>
          </Field>
        }
      >
        <div style={{ padding: error ? 16 : 0 }}>
          <ErrorBanner error={error} />
        </div>
        <ErrorBanner error={list.error} onRetry={list.reload} title="Could not load scheduled messages" />
        {list.loading && !list.data ? (
          <Loading />
        ) : list.data && list.data.length === 0 ? (
          <EmptyState title={`No ${status} messages`} icon="◷">
            Schedule one with the form, or publish with <code>delay</code> or <code>at</code> from your server.
          </EmptyState>
        ) : (
          list.data && (
            <Table head={['Due', 'Channel', 'Message', 'Status', '']} caption="Scheduled messages">
              {list.data.map((s) => (
                <tr key={s.id}>
                  <td className="small">
                    {fmt.date(s.at)}
                    <div className="muted">{fmt.relative(s.at)}</div>
                  </td>
                  <td className="mono small">{s.channel}</td>
                  <td className="mono small" style={{ wordBreak: 'break-all' }}>
                    {JSON.stringify(s.message)}
                  </td>
                  <td>
                    <Badge tone={tone[s.status]}>{s.status}</Badge>
                    {s.error && <div className="small muted">{s.error}</div>}
                  </td>
                  <td className="num">
                    {s.status === 'scheduled' && (
                      <Button size="sm" variant="ghost" onClick={() => cancel(s)}>
                        Cancel
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </Table>
          )
        )}
      </Card>
      <Card title="Schedule a message">
        <form className="form" onSubmit={schedule} noValidate aria-label="Schedule a message">
          <Field label="Channel" error={errors.channel}>
            <Input value={channel} onChange={(e) => setChannel(e.target.value)} />
          </Field>
          <Field label="Message" hint="JSON or plain text">
            <Textarea value={message} onChange={(e) => setMessage(e.target.value)} rows={3} />
          </Field>
          <Field label="Deliver in (minutes)" error={errors.minutes} hint={`Up to ${fmt.num(maxMin)} minutes on this plan.`}>
            <Input type="number" min={1} value={minutes} onChange={(e) => setMinutes(e.target.value)} inputMode="decimal" />
          </Field>
          <div>
            <Button type="submit" variant="primary" loading={busy}>
              Schedule
            </Button>
          </div>
        </form>
      </Card>
    </div>
  );
}

