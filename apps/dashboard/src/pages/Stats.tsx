import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, appPath, ApiError, type Channels, type History, type LiveStats, type Presence, type Usage, type UsageHistory } from '../lib/api';
import { fmt, useLoad, type Loaded } from '../lib/hooks';
import { Chart } from '../components/charts';
import { Button, Card, EmptyState, ErrorBanner, Field, Input, Loading, Stat, Table } from '../components/ui';
import { useApp } from './AppPage';

/** How often the live chart polls /stats/live (ms); `?live=` in the URL overrides it. */
const LIVE_MS = Number(new URLSearchParams(location.search).get('live')) || 3000;
const LIVE_POINTS = 40;

function LiveCard({ appId, usage }: { appId: string; usage: Loaded<Usage> }) {
  const [points, setPoints] = useState<Array<{ time: string; connections: number; publishes: number; deliveries: number }>>([]);
  const [error, setError] = useState<ApiError>();
  useEffect(() => {
    let stop = false;
    const tick = async () => {
      try {
        const s = await api.get<LiveStats>(appPath(appId, '/stats/live'));
        if (stop) return;
        setError(undefined);
        setPoints((p) => [...p.slice(-(LIVE_POINTS - 1)), { time: fmt.time(s.at ?? Date.now()), connections: s.connections, publishes: round(s.publishesPerSecond), deliveries: round(s.deliveriesPerSecond) }]);
      } catch (e) {
        if (!stop) setError(e as ApiError);
      }
    };
    void tick();
    const t = setInterval(tick, LIVE_MS);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, [appId]);
  const last = points.at(-1);
  const u = usage.data;
  return (
    <>
      <div className="grid-4">
        <Stat label="Connections now" value={fmt.num(last?.connections ?? u?.connections ?? 0)} sub={u ? `of ${fmt.num(u.maxConnections)} on the plan` : undefined} data-testid="stat-connections" />
        <Stat label="Publishes / s" value={fmt.num(last?.publishes ?? 0)} sub={u ? `limit ${fmt.num(u.maxPublishesPerSecond)}/s` : undefined} />
        <Stat label="Deliveries / s" value={fmt.num(last?.deliveries ?? 0)} />
        <Stat label="Messages today" value={fmt.num(u?.messagesToday ?? 0)} sub={u ? `of ${fmt.num(u.maxMessagesPerDay)} (UTC day)` : undefined} data-testid="stat-messages-today" />
      </div>
      <Card title="Live" actions={<span className="small muted">refreshed every {LIVE_MS / 1000} s</span>}>
        <ErrorBanner error={error} title="Live stats are unavailable" />
        {points.length === 0 && !error ? (
          <Loading label="Waiting for the first sample…" />
        ) : (
          <div className="grid-2">
            <Chart kind="line" id="chart-live-connections" label="Connections" data={points} x="time" series={[{ key: 'connections', name: 'Connections', color: '#4f46e5' }]} />
            <Chart
              kind="line"
              id="chart-live-messages"
              label="Messages per second"
              data={points}
              x="time"
              series={[
                { key: 'publishes', name: 'Publishes/s', color: '#8b5cf6' },
                { key: 'deliveries', name: 'Deliveries/s', color: '#10b981' },
              ]}
            />
          </div>
        )}
      </Card>
    </>
  );
}

const round = (n: number) => Math.round((n ?? 0) * 10) / 10;

/**
 * The last 30 UTC days, with days without activity as zeros. The worker rolls the live counters up about
 * once a minute, so today's published/delivered split lags; `notRolledUp` is what the live counter
 * (`messagesToday`, publishes plus deliveries) has counted today beyond the rolled-up numbers.
 */
function thirtyDays(h: UsageHistory | undefined, messagesToday = 0, now = Date.now()) {
  const byDay = new Map((h?.periods ?? []).map((p) => [p.period.slice(0, 10), p]));
  const out = [];
  const d = new Date(now);
  const today = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  for (let i = 29; i >= 0; i--) {
    const day = new Date(today - i * 86_400_000).toISOString().slice(0, 10);
    const p = byDay.get(day);
    const publishes = p?.publishes ?? 0;
    const deliveries = p?.deliveries ?? 0;
    const notRolledUp = i === 0 ? Math.max(0, messagesToday - publishes - deliveries) : 0;
    out.push({ day, publishes, deliveries, notRolledUp, peakConnections: p?.peakConnections ?? 0 });
  }
  return out;
}

function UsageCard({ appId, messagesToday }: { appId: string; messagesToday: number }) {
  const history = useLoad((signal) => api.get<UsageHistory>(appPath(appId, '/usage/history'), { signal, query: { granularity: 'day' } }), appId, { pollMs: 15_000 });
  const data = thirtyDays(history.data, messagesToday);
  const pending = data.at(-1)!.notRolledUp;
  const label = (d: { day: string }) => d.day.slice(5);
  const chartData = data.map((d) => ({ ...d, date: label(d) }));
  return (
    <Card title="Last 30 days" actions={<Button size="sm" variant="ghost" onClick={history.reload} loading={history.loading && !!history.data}>Refresh</Button>}>
      <ErrorBanner error={history.error} onRetry={history.reload} title="Could not load usage" />
      {history.loading && !history.data ? (
        <Loading />
      ) : (
        <>
          <div className="row small muted" style={{ marginBottom: 8 }} data-testid="usage-total" data-publishes={history.data?.total.publishes ?? 0}>
            {fmt.num(history.data?.total.publishes ?? 0)} messages published and {fmt.num(history.data?.total.deliveries ?? 0)} delivered in 30 days · peak {fmt.num(history.data?.total.peakConnections ?? 0)} connections
            {pending > 0 && (
              <span data-testid="usage-not-rolled-up">
                · plus {fmt.num(pending)} counted today and not yet split into published and delivered (the chart catches up within about a minute)
              </span>
            )}
          </div>
          <div className="grid-2">
            <div>
              <h3 className="small muted" style={{ marginBottom: 6 }}>
                Messages per day
              </h3>
              <Chart
                kind="bar"
                id="chart-messages-per-day"
                label="Messages per day"
                data={chartData}
                x="date"
                series={[
                  { key: 'publishes', name: 'Published', color: '#4f46e5' },
                  { key: 'deliveries', name: 'Delivered', color: '#a5b4fc' },
                  { key: 'notRolledUp', name: 'Today, not yet split', color: '#cbd5e1' },
                ]}
                empty="No messages in the last 30 days"
              />
            </div>
            <div>
              <h3 className="small muted" style={{ marginBottom: 6 }}>
                Peak connections per day
              </h3>
              <Chart kind="line" id="chart-peak-connections" label="Peak connections" data={chartData} x="date" series={[{ key: 'peakConnections', name: 'Peak connections', color: '#10b981' }]} empty="No connections in the last 30 days" />
            </div>
          </div>
        </>
      )}
    </Card>
  );
}

function ChannelDetail({ appId, channel }: { appId: string; channel: string }) {
  const path = appPath(appId, `/channels/${encodeURIComponent(channel)}`);
  const history = useLoad((signal) => api.get<History>(`${path}/history`, { signal, query: { limit: 50 } }).then((h) => h.messages), `h:${appId}:${channel}`);
  const presence = useLoad((signal) => api.get<Presence>(`${path}/presence`, { signal }), `p:${appId}:${channel}`);
  return (
    <div className="grid-2 split split-1-2">
      <Card title={`Presence · ${channel}`} className="flush" actions={<Button size="sm" variant="ghost" onClick={presence.reload}>Refresh</Button>}>
        <div style={{ padding: presence.error ? 16 : 0 }}>
          <ErrorBanner error={presence.error} onRetry={presence.reload} />
        </div>
        {presence.loading && !presence.data ? (
          <Loading />
        ) : presence.data && presence.data.members.length === 0 ? (
          <EmptyState title="Nobody here" icon="◌">
            Members appear when clients subscribe with presence.
          </EmptyState>
        ) : (
          presence.data && (
            <Table head={['Member', 'Data']} caption="Presence members">
              {presence.data.members.map((m) => (
                <tr key={m.id}>
                  <td className="mono">{m.id}</td>
                  <td className="mono small">{m.data === undefined ? '—' : JSON.stringify(m.data)}</td>
                </tr>
              ))}
            </Table>
          )
        )}
      </Card>
      <Card title={`History · ${channel}`} className="flush" actions={<Button size="sm" variant="ghost" onClick={history.reload}>Refresh</Button>}>
        <div style={{ padding: history.error ? 16 : 0 }}>
          <ErrorBanner error={history.error} onRetry={history.reload} title="Could not read the history" />
        </div>
        {history.loading && !history.data ? (
          <Loading />
        ) : history.data && history.data.length === 0 ? (
          <EmptyState title="No history" icon="◌">
            Nothing published on this channel within the history window.
          </EmptyState>
        ) : (
          history.data && (
            <Table head={['Offset', 'Time', 'Message']} numeric={[0]} caption="Channel history" data-testid="history-table">
              {[...history.data].reverse().map((m) => (
                <tr key={`${m.offset}-${m.id}`}>
                  <td className="num">{m.offset}</td>
                  <td className="small muted">{m.time ? fmt.time(m.time) : '—'}</td>
                  <td className="mono small" style={{ wordBreak: 'break-all' }}>
                    {JSON.stringify(m.content)}
                  </td>
                </tr>
              ))}
            </Table>
          )
        )}
      </Card>
    </div>
  );
}

function ChannelsCard({ appId }: { appId: string }) {
  const channels = useLoad((signal) => api.get<Channels>(appPath(appId, '/channels'), { signal }).then((r) => r.channels), appId, { pollMs: 5000 });
  const [selected, setSelected] = useState<string>();
  const [lookup, setLookup] = useState('');
  const detailRef = useRef<HTMLDivElement>(null);
  const open = (c: string) => {
    setSelected(c);
    requestAnimationFrame(() => detailRef.current?.scrollIntoView({ block: 'nearest' }));
  };
  return (
    <>
      <Card
        title="Channels"
        className="flush"
        actions={
          <form
            className="row"
            onSubmit={(e: FormEvent) => {
              e.preventDefault();
              if (lookup.trim()) open(lookup.trim());
            }}
          >
            <Field label={<span className="sr-only">Channel to inspect</span>}>
              <Input value={lookup} onChange={(e) => setLookup(e.target.value)} placeholder="Inspect any channel…" style={{ height: 30, width: 200 }} />
            </Field>
            <Button size="sm" type="submit">
              Inspect
            </Button>
          </form>
        }
      >
        <div style={{ padding: channels.error ? 16 : 0 }}>
          <ErrorBanner error={channels.error} onRetry={channels.reload} title="Could not load channels" />
        </div>
        {channels.loading && !channels.data && !channels.error ? (
          <Loading />
        ) : channels.data && channels.data.length === 0 ? (
          <EmptyState title="No occupied channels" icon="◌">
            Channels show up here while at least one client is subscribed. Open the debug console to subscribe to one.
          </EmptyState>
        ) : (
          channels.data && (
            <Table head={['Channel', 'Subscribers', 'Presence members', '']} numeric={[1, 2]} caption="Occupied channels" data-testid="channels-table">
              {channels.data.map((c) => (
                <tr key={c.channel} className={`clickable${selected === c.channel ? ' selected' : ''}`} onClick={() => open(c.channel)}>
                  <td className="mono">{c.channel}</td>
                  <td className="num">{fmt.num(c.subscribers)}</td>
                  <td className="num">{fmt.num(c.presenceMembers)}</td>
                  <td className="num">
                    <Button size="sm" variant="ghost" onClick={(e) => (e.stopPropagation(), open(c.channel))} aria-label={`Inspect ${c.channel}`}>
                      Inspect
                    </Button>
                  </td>
                </tr>
              ))}
            </Table>
          )
        )}
      </Card>
      <div ref={detailRef}>{selected && <ChannelDetail appId={appId} channel={selected} />}</div>
    </>
  );
}

export function StatsTab() {
  const { app } = useApp();
  const usage = useLoad((signal) => api.get<Usage>(appPath(app.id, '/usage'), { signal }), app.id, { pollMs: LIVE_MS });
  return (
    <div className="stack">
      <LiveCard appId={app.id} usage={usage} />
      <UsageCard appId={app.id} messagesToday={usage.data?.messagesToday ?? 0} />
      <ChannelsCard appId={app.id} />
    </div>
  );
}
