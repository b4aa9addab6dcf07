import { Link } from 'react-router-dom';
import { api, type App } from '../lib/api';
import { fmt, useLoad, useTitle } from '../lib/hooks';
import { regionOf } from '../lib/region';
import { Badge, EmptyState, ErrorBanner, Loading } from '../components/ui';

export function AppsPage() {
  useTitle('Apps');
  const apps = useLoad((signal) => api.get<App[]>('/v1/apps', { signal }), 'apps');
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Apps</h1>
          <div className="sub">Each app has its own keys, channels, limits and usage.</div>
        </div>
        <div className="spacer" />
        {apps.data && apps.data.length > 0 && (
          <Link className="btn btn-primary" to="/apps/new">
            + New app
          </Link>
        )}
      </div>
      <ErrorBanner error={apps.error} onRetry={apps.reload} title="Could not load your apps" />
      {apps.loading && !apps.data && !apps.error && <Loading label="Loading apps…" />}
      {apps.data && apps.data.length === 0 && (
        <div className="card">
          <EmptyState
            title="No apps yet"
            icon="✦"
            action={
              <Link className="btn btn-primary" to="/apps/new">
                Create your first app
              </Link>
            }
          >
            An app gives you keys to connect browsers and publish from your servers. It takes a few seconds, and the quick start walks you to your first message.
          </EmptyState>
        </div>
      )}
      {apps.data && apps.data.length > 0 && (
        <div className="app-cards" data-testid="app-list">
          {apps.data.map((a) => (
            <Link key={a.id} to={`/apps/${a.id}`} className="app-card">
              <h3>
                {a.name}
                {a.status === 'suspended' ? <Badge tone="red">suspended</Badge> : <Badge tone="green">active</Badge>}
              </h3>
              <div className="mono small muted">{a.id}</div>
              <div className="meta">
                <span>
                  Plan <strong>{a.plan.id}</strong>
                </span>
                {regionOf(a) && <span>{regionOf(a)}</span>}
                <span>Created {fmt.date(a.createdAt)}</span>
              </div>
            </Link>
          ))}
        </div>
      )}
    </>
  );
}
