import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { api, appPath, ApiError, type App, type UpdateApp } from '../lib/api';
import { fmt } from '../lib/hooks';
import { Button, Card, Dialog, ErrorBanner, Field, Input, Select, Textarea, focusFirstInvalid } from '../components/ui';
import { REGIONS } from '../lib/region';
import { PlanLimitsList } from '../components/PlanLimitsList';
import { useApp } from './AppPage';

const lines = (s: string) => s.split(/[\n,]/).map((x) => x.trim()).filter(Boolean);
function badOrigin(o: string): boolean {
  try {
    const u = new URL(o);
    return !/^https?:$/.test(u.protocol) || (u.pathname !== '/' && u.pathname !== '') || !!u.search || !!u.hash;
  } catch {
    return true;
  }
}

export function SettingsTab() {
  const { app, reloadApp } = useApp();
  const navigate = useNavigate();
  const plan = app.plan;
  const [name, setName] = useState(app.name);
  const [region, setRegion] = useState(app.region ?? REGIONS[0].id);
  const [origins, setOrigins] = useState(app.allowedOrigins.join('\n'));
  const [prefixes, setPrefixes] = useState((app.privatePrefixes ?? ['private-']).join('\n'));
  const [size, setSize] = useState(String(app.history.size));
  const [ttl, setTtl] = useState(String(app.history.ttlSeconds));
  const [clientEvents, setClientEvents] = useState(app.clientEvents ?? false);
  const [subscriptionCount, setSubscriptionCount] = useState(app.subscriptionCount ?? false);
  const [errors, setErrors] = useState<Record<string, string | undefined>>({});
  const [apiError, setApiError] = useState<ApiError>();
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [deleteName, setDeleteName] = useState('');

  async function save(e: FormEvent) {
    e.preventDefault();
    const o = lines(origins);
    const p = lines(prefixes);
    const s = Number(size);
    const t = Number(ttl);
    const next: Record<string, string | undefined> = {};
    if (!name.trim()) next.name = 'Give the app a name.';
    const bad = o.filter(badOrigin);
    if (bad.length) next.origins = `Not an origin: ${bad.join(', ')}. Use scheme://host[:port], e.g. https://example.com.`;
    if (p.some((x) => !/^[A-Za-z0-9_\-=@,.;:!/]+$/.test(x))) next.prefixes = 'Prefixes use the channel characters A–Z a–z 0–9 _ - = @ , . ; : ! /';
    if (!Number.isInteger(s) || s < 1) next.size = 'A whole number of messages, at least 1.';
    else if (s > plan.historySize) next.size = `At most ${fmt.num(plan.historySize)} on the ${plan.id} plan.`;
    if (!Number.isInteger(t) || t < 1) next.ttl = 'A whole number of seconds, at least 1.';
    else if (t > plan.historyTtlSeconds) next.ttl = `At most ${fmt.num(plan.historyTtlSeconds)} s (${fmt.seconds(plan.historyTtlSeconds)}) on the ${plan.id} plan.`;
    setErrors(next);
    setApiError(undefined);
    setSaved(false);
    if (Object.values(next).some(Boolean)) return focusFirstInvalid(e.currentTarget as HTMLFormElement);
    setBusy(true);
    try {
      await api.patch<App, UpdateApp>(appPath(app.id), { name: name.trim(), region, allowedOrigins: o, privatePrefixes: p, clientEvents, subscriptionCount, historySize: s, historyTtlSeconds: t });
      setSaved(true);
      reloadApp();
    } catch (err) {
      setApiError(err as ApiError);
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    try {
      await api.del(appPath(app.id));
      navigate('/apps');
    } catch (err) {
      setApiError(err as ApiError);
      setConfirmDelete(false);
    }
  }

  return (
    <div className="grid-2 split split-3-2">
      <div className="stack">
        <Card title="App settings">
          <ErrorBanner error={apiError} title="Settings were not saved" />
          {saved && (
            <div className="notice green" role="status" style={{ marginBottom: 16 }}>
              Saved.
            </div>
          )}
          <form className="form" onSubmit={save} noValidate aria-label="App settings">
            <Field label="Name" error={errors.name}>
              <Input value={name} onChange={(e) => setName(e.target.value)} />
            </Field>
            <Field label="Region" hint="A label for your records.">
              <Select value={region} onChange={(e) => setRegion(e.target.value)}>
                {[...REGIONS, ...(REGIONS.some((r) => r.id === region) ? [] : [{ id: region, label: region }])].map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.label}
                  </option>
                ))}
              </Select>
            </Field>
            <Field label="Allowed origins" error={errors.origins} hint={plan.anyOrigin ? `The ${plan.id} plan accepts any origin; this list is kept for when it does not.` : 'One per line. Empty: any origin. Browsers on other origins are refused (origin_not_allowed).'}>
              <Textarea value={origins} onChange={(e) => setOrigins(e.target.value)} placeholder={'https://example.com\nhttp://localhost:8080'} rows={4} />
            </Field>
            <Field label="Private channel prefixes" error={errors.prefixes} hint="Channels starting with one of these need an access token (one per line).">
              <Textarea value={prefixes} onChange={(e) => setPrefixes(e.target.value)} rows={2} />
            </Field>
            <label className="check">
              <input type="checkbox" checked={clientEvents} onChange={(e) => setClientEvents(e.target.checked)} />
              Pusher client events (<code>client-*</code> on private and presence channels, at most {fmt.num(plan.maxClientEventsPerSecond)}/s per connection)
            </label>
            <label className="check">
              <input type="checkbox" checked={subscriptionCount} onChange={(e) => setSubscriptionCount(e.target.checked)} />
              Pusher subscription counts (<code>pusher:subscription_count</code> to each channel’s subscribers)
            </label>
            <div className="grid-2">
              <Field label="History: messages per channel" error={errors.size} hint={`Plan maximum ${fmt.num(plan.historySize)}`}>
                <Input type="number" min={1} max={plan.historySize} value={size} onChange={(e) => setSize(e.target.value)} />
              </Field>
              <Field label="History: seconds kept" error={errors.ttl} hint={`Plan maximum ${fmt.num(plan.historyTtlSeconds)} s (${fmt.seconds(plan.historyTtlSeconds)})`}>
                <Input type="number" min={1} max={plan.historyTtlSeconds} value={ttl} onChange={(e) => setTtl(e.target.value)} />
              </Field>
            </div>
            <div>
              <Button type="submit" variant="primary" loading={busy}>
                Save changes
              </Button>
            </div>
          </form>
        </Card>
        <Card title="Danger zone">
          <div className="row">
            <div>
              <strong>Delete this app</strong>
              <div className="muted small">Its keys stop working and its history archive is deleted.</div>
            </div>
            <div className="spacer" />
            <Button variant="danger" onClick={() => setConfirmDelete(true)}>
              Delete app…
            </Button>
          </div>
        </Card>
      </div>
      <Card title={`Plan limits · ${plan.id}`}>
        <PlanLimitsList plan={plan} allowedOrigins={app.allowedOrigins} style={{ gridTemplateColumns: '1fr auto' }} />
        <p className="small muted" style={{ marginTop: 16, marginBottom: 0 }}>
          Plans are changed by a Herald operator.
        </p>
      </Card>
      <Dialog
        open={confirmDelete}
        title={`Delete ${app.name}?`}
        onClose={() => setConfirmDelete(false)}
        footer={
          <>
            <Button onClick={() => setConfirmDelete(false)}>Cancel</Button>
            <Button variant="danger" disabled={deleteName !== app.name} onClick={remove}>
              Delete for good
            </Button>
          </>
        }
      >
        <p>This cannot be undone. Type the app’s name to confirm.</p>
        <Field label="App name">
          <Input value={deleteName} onChange={(e) => setDeleteName(e.target.value)} data-autofocus />
        </Field>
      </Dialog>
    </div>
  );
}
