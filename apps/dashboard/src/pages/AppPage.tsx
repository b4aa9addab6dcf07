import { Link, Outlet, useOutletContext, useParams } from 'react-router-dom';
import { api, appPath, type App, type Key } from '../lib/api';
import { useLoad, useTitle, type Loaded } from '../lib/hooks';
import { regionOf } from '../lib/region';
import { Badge, CopyButton, ErrorBanner, Loading, Tabs } from '../components/ui';

export interface AppContextValue {
  app: App;
  reloadApp: () => void;
  keys: Loaded<Key[]>;
  /** The active common key, for the SDK in the console and the snippets. */
  commonKey: string | undefined;
}

export const useApp = () => useOutletContext<AppContextValue>();

export function AppPage() {
  const { appId = '' } = useParams();
  const app = useLoad((signal) => api.get<App>(appPath(appId), { signal }), appId);
  const keys = useLoad((signal) => api.get<Key[]>(appPath(appId, '/keys'), { signal }), appId);
  useTitle(app.data?.name ?? 'App');
  const commonKey = keys.data?.find((k) => k.kind === 'common' && k.status === 'active')?.value ?? undefined;

  if (app.error && !app.data) {
    return (
      <>
        <div className="breadcrumb">
          <Link to="/apps">Apps</Link>
        </div>
        <ErrorBanner error={app.error} onRetry={app.reload} title={app.error.status === 404 ? 'App not found' : 'Could not load the app'} />
      </>
    );
  }
  if (!app.data) return <Loading label="Loading app…" />;
  const a = app.data;
  const base = `/apps/${a.id}`;
  return (
    <>
      <div className="breadcrumb">
        <Link to="/apps">Apps</Link> / {a.name}
      </div>
      <div className="page-head">
        <div>
          <h1 data-testid="app-name">{a.name}</h1>
          <div className="sub">
            <span className="mono">{a.id}</span>
            <CopyButton value={a.id} label="Copy app id" />
            <Badge tone="blue">plan {a.plan.id}</Badge>
            {regionOf(a) && <span>{regionOf(a)}</span>}
            {a.status === 'suspended' ? (
              <Badge tone="red">suspended{a.suspendedReason ? `: ${a.suspendedReason}` : ''}</Badge>
            ) : (
              <Badge tone="green">active</Badge>
            )}
          </div>
        </div>
      </div>
      {a.status === 'suspended' && (
        <div className="notice amber" style={{ marginBottom: 16 }} role="status">
          This app is suspended by a Herald operator: its connections are closed and publishes are refused.
          {a.suspendedReason ? ` Reason: ${a.suspendedReason}.` : ''}
        </div>
      )}
      <Tabs
        label="App sections"
        tabs={[
          { to: base, label: 'Quick start', end: true },
          { to: `${base}/keys`, label: 'Keys' },
          { to: `${base}/pusher`, label: 'Pusher' },
          { to: `${base}/console`, label: 'Debug console' },
          { to: `${base}/stats`, label: 'Stats' },
          { to: `${base}/webhooks`, label: 'Webhooks' },
          { to: `${base}/push`, label: 'Push' },
          { to: `${base}/scheduled`, label: 'Scheduled' },
          { to: `${base}/settings`, label: 'Settings' },
        ]}
      />
      <Outlet context={{ app: a, reloadApp: app.reload, keys, commonKey } satisfies AppContextValue} />
    </>
  );
}
