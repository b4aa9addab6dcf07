import { useState } from 'react';
import { api, ApiError, type AdminAccount, type AdminApp, type ChangePlan, type Plan, type SuspendApp } from '../lib/api';
import { fmt, useLoad, useTitle } from '../lib/hooks';
import { Badge, Button, Card, Dialog, EmptyState, ErrorBanner, Field, Input, Loading, Select, Table } from '../components/ui';

export function AdminPage() {
  useTitle('Admin');
  const [tab, setTab] = useState<'apps' | 'accounts'>('apps');
  const [q, setQ] = useState('');
  const accounts = useLoad((signal) => api.get<AdminAccount[]>('/v1/admin/accounts', { signal }), 'accounts');
  const apps = useLoad((signal) => api.get<AdminApp[]>('/v1/admin/apps', { signal, query: { q: q || undefined } }), `apps:${q}`, { pollMs: 10_000 });
  const plans = useLoad((signal) => api.get<Plan[]>('/v1/admin/plans', { signal }), 'plans');
  const [suspending, setSuspending] = useState<AdminApp>();
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string>();
  const [planFor, setPlanFor] = useState<AdminApp>();
  const [planId, setPlanId] = useState('');
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);

  async function act(fn: () => Promise<unknown>, after: () => void) {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
      after();
      apps.reload();
    } catch (e) {
      setError(e as ApiError);
      after();
    } finally {
      setBusy(false);
    }
  }
  const suspend = () => {
    if (!suspending) return;
    if (!reason.trim()) return setReasonError('Say why: the customer sees this reason.');
    void act(() => api.post<AdminApp, SuspendApp>(`/v1/admin/apps/${suspending.id}/suspend`, { reason: reason.trim() }), () => (setSuspending(undefined), setReason('')));
  };

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Admin</h1>
          <div className="sub">Every account and app on this Herald installation.</div>
        </div>
      </div>
      <nav className="tabs" aria-label="Admin sections">
        <button type="button" className={`tab${tab === 'apps' ? ' active' : ''}`} style={{ background: 'none', border: 0, cursor: 'pointer', font: 'inherit' }} aria-current={tab === 'apps' ? 'page' : undefined} onClick={() => setTab('apps')}>
          Apps {apps.data ? <Badge>{apps.data.length}</Badge> : null}
        </button>
        <button type="button" className={`tab${tab === 'accounts' ? ' active' : ''}`} style={{ background: 'none', border: 0, cursor: 'pointer', font: 'inherit' }} aria-current={tab === 'accounts' ? 'page' : undefined} onClick={() => setTab('accounts')}>
          Accounts {accounts.data ? <Badge>{accounts.data.length}</Badge> : null}
        </button>
      </nav>
      <ErrorBanner error={error} />
      {tab === 'apps' && (
        <Card
          title="Apps"
          className="flush"
          actions={
            <Field label={<span className="sr-only">Search apps</span>}>
              <Input type="search" placeholder="Search by id, name or owner…" value={q} onChange={(e) => setQ(e.target.value)} style={{ height: 30, width: 260 }} />
            </Field>
          }
        >
          <div style={{ padding: apps.error ? 16 : 0 }}>
            <ErrorBanner error={apps.error} onRetry={apps.reload} title="Could not load apps" />
          </div>
          {apps.loading && !apps.data ? (
            <Loading />
          ) : apps.data && apps.data.length === 0 ? (
            <EmptyState title="No apps" icon="◌" />
          ) : (
            apps.data && (
              <Table head={['App', 'Owner', 'Plan', 'Connections', 'Messages today', 'Status', '']} numeric={[3, 4]} caption="All apps" data-testid="admin-apps">
                {apps.data.map((a) => (
                  <tr key={a.id} data-app-id={a.id} data-status={a.status}>
                    <td>
                      <strong>{a.name}</strong>
                      <div className="mono small muted">{a.id}</div>
                    </td>
                    <td className="small">{a.ownerEmail}</td>
                    <td>
                      <Badge tone="blue">{a.plan?.id}</Badge>
                    </td>
                    <td className="num">{fmt.num(a.connections)}</td>
                    <td className="num">{fmt.num(a.messagesToday)}</td>
                    <td>
                      {a.status === 'suspended' ? <Badge tone="red">suspended</Badge> : <Badge tone="green">active</Badge>}
                      {a.suspendedReason && <div className="small muted">{a.suspendedReason}</div>}
                    </td>
                    <td className="num" style={{ whiteSpace: 'nowrap' }}>
                      <Button size="sm" variant="ghost" onClick={() => (setPlanFor(a), setPlanId(a.plan?.id ?? ''))} aria-label={`Change plan of ${a.name}`}>
                        Plan…
                      </Button>
                      {a.status === 'suspended' ? (
                        <Button size="sm" onClick={() => act(() => api.post(`/v1/admin/apps/${a.id}/resume`), () => undefined)} aria-label={`Resume ${a.name}`}>
                          Resume
                        </Button>
                      ) : (
                        <Button size="sm" variant="ghost" onClick={() => (setSuspending(a), setReasonError(undefined))} aria-label={`Suspend ${a.name}`}>
                          Suspend…
                        </Button>
                      )}
                    </td>
                  </tr>
                ))}
              </Table>
            )
          )}
        </Card>
      )}
      {tab === 'accounts' && (
        <Card title="Accounts" className="flush">
          <div style={{ padding: accounts.error ? 16 : 0 }}>
            <ErrorBanner error={accounts.error} onRetry={accounts.reload} title="Could not load accounts" />
          </div>
          {accounts.loading && !accounts.data ? (
            <Loading />
          ) : accounts.data && accounts.data.length === 0 ? (
            <EmptyState title="No accounts" icon="◌" />
          ) : (
            accounts.data && (
              <Table head={['Email', 'Role', 'Apps', 'Messages today', 'Created', 'Id']} numeric={[2, 3]} caption="All accounts" data-testid="admin-accounts">
                {accounts.data.map((a) => (
                  <tr key={a.id}>
                    <td>{a.email}</td>
                    <td>{a.role === 'admin' ? <Badge tone="amber">admin</Badge> : <Badge>customer</Badge>}</td>
                    <td className="num">{a.apps}</td>
                    <td className="num">{fmt.num(a.messagesToday)}</td>
                    <td className="small muted">{fmt.date(a.createdAt)}</td>
                    <td className="mono small muted">{a.id}</td>
                  </tr>
                ))}
              </Table>
            )
          )}
        </Card>
      )}
      <Dialog
        open={!!suspending}
        title={`Suspend ${suspending?.name ?? ''}?`}
        onClose={() => setSuspending(undefined)}
        data-testid="suspend-dialog"
        footer={
          <>
            <Button onClick={() => setSuspending(undefined)}>Cancel</Button>
            <Button variant="danger" onClick={suspend} loading={busy}>
              Suspend app
            </Button>
          </>
        }
      >
        <p>Its connections are closed at once (reason app_suspended) and its publishes are refused until it is resumed.</p>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            suspend();
          }}
        >
          <Field label="Reason (shown to the customer)" error={reasonError}>
            <Input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={200} placeholder="e.g. Unpaid invoice" name="reason" data-autofocus />
          </Field>
        </form>
      </Dialog>
      <Dialog
        open={!!planFor}
        title={`Change the plan of ${planFor?.name ?? ''}`}
        onClose={() => setPlanFor(undefined)}
        footer={
          <>
            <Button onClick={() => setPlanFor(undefined)}>Cancel</Button>
            <Button variant="primary" loading={busy} disabled={!planId || planId === planFor?.plan?.id} onClick={() => planFor && act(() => api.patch<AdminApp, ChangePlan>(`/v1/admin/apps/${planFor.id}`, { planId }), () => setPlanFor(undefined))}>
              Change plan
            </Button>
          </>
        }
      >
        <Field label="Plan" hint="Limits apply to every process within seconds.">
          <Select value={planId} onChange={(e) => setPlanId(e.target.value)} data-autofocus>
            {(plans.data ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name ?? p.id} · {fmt.num(p.maxConnections)} connections, {fmt.num(p.maxMessagesPerDay)} messages/day
              </option>
            ))}
          </Select>
        </Field>
      </Dialog>
    </>
  );
}
