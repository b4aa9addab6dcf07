import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api, ApiError, type CreateApp, type CreatedApp, type Plan } from '../lib/api';
import { useLoad, useTitle } from '../lib/hooks';
import { REGIONS } from '../lib/region';
import { Button, Card, ErrorBanner, Field, Input, Select, focusFirstInvalid } from '../components/ui';
import { PlanLimitsList } from '../components/PlanLimitsList';

const FALLBACK_PLANS = ['free', 'pro'];

export function NewAppPage() {
  useTitle('New app');
  const navigate = useNavigate();
  const plans = useLoad((signal) => api.get<Plan[] | { plans: Plan[] }>('/v1/plans', { signal }).then((p) => (Array.isArray(p) ? p : p.plans)), 'plans');
  const [name, setName] = useState('');
  const [region, setRegion] = useState(REGIONS[0].id);
  const [planId, setPlanId] = useState('free');
  const [nameError, setNameError] = useState<string>();
  const [apiError, setApiError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const plan = plans.data?.find((p) => p.id === planId);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const n = name.trim();
    const err = !n ? 'Give your app a name.' : n.length > 100 ? 'At most 100 characters.' : undefined;
    setNameError(err);
    setApiError(undefined);
    if (err) return focusFirstInvalid(e.currentTarget as HTMLFormElement);
    setBusy(true);
    try {
      const created = await api.post<CreatedApp, CreateApp>('/v1/apps', { name: n, planId, region });
      navigate(`/apps/${created.id}`, { state: { created: created.keys } });
    } catch (e) {
      setApiError(e as ApiError);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <div className="breadcrumb">
        <Link to="/apps">Apps</Link> / New app
      </div>
      <div className="page-head">
        <h1>Create an app</h1>
      </div>
      <div className="grid-2 split split-form">
        <Card>
          <ErrorBanner error={apiError} title="The app was not created" />
          <form className="form" onSubmit={submit} noValidate aria-label="Create an app">
            <Field label="App name" error={nameError} hint="Shown in the dashboard only, e.g. “Chat (production)”.">
              <Input name="name" autoFocus value={name} maxLength={120} onChange={(e) => setName(e.target.value)} placeholder="My chat" />
            </Field>
            <Field label="Region" hint="A label for your records: every region runs the same Herald cluster today.">
              <Select name="region" value={region} onChange={(e) => setRegion(e.target.value)}>
                {REGIONS.map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.label}
                  </option>
                ))}
              </Select>
            </Field>
            <Field label="Plan" hint={plans.error ? 'Plans could not be loaded; the usual ones are listed.' : undefined}>
              <Select name="plan" value={planId} onChange={(e) => setPlanId(e.target.value)}>
                {(plans.data ?? FALLBACK_PLANS.map((id) => ({ id, name: id }))).map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name ?? p.id}
                  </option>
                ))}
              </Select>
            </Field>
            <div className="form-actions">
              <Button type="submit" variant="primary" loading={busy}>
                Create app
              </Button>
              <Link to="/apps" className="btn btn-ghost">
                Cancel
              </Link>
            </div>
          </form>
        </Card>
        <Card title={`Plan “${plan?.name ?? planId}”`}>
          {plan ? (
            <PlanLimitsList plan={plan} />
          ) : (
            <p className="muted">{plans.loading ? 'Loading plan limits…' : 'Limits are shown on the app’s Settings tab once created.'}</p>
          )}
        </Card>
      </div>
    </>
  );
}
