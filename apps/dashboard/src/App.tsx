import { lazy, Suspense } from 'react';
import { Navigate, NavLink, Outlet, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { useAuth } from './lib/auth';
import { Button, EmptyState, Loading } from './components/ui';
import { LoginPage, SignupPage } from './pages/Auth';
import { AppsPage } from './pages/Apps';
import { NewAppPage } from './pages/NewApp';
import { AppPage } from './pages/AppPage';
import { OverviewTab } from './pages/Overview';
import { KeysTab } from './pages/Keys';
import { PusherTab } from './pages/Pusher';
import { PushTab } from './pages/Push';
import { ConsoleTab } from './pages/Console';
import { WebhooksTab } from './pages/Webhooks';
import { ScheduledTab } from './pages/Scheduled';
import { SettingsTab } from './pages/Settings';
import { AdminPage } from './pages/Admin';

// The charting library is loaded with the Stats tab only.
const StatsTab = lazy(() => import('./pages/Stats').then((m) => ({ default: m.StatsTab })));

function RequireAuth() {
  const { me, checking } = useAuth();
  const location = useLocation();
  if (checking) return <Loading label="Signing you in…" />;
  if (!me) return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  return <Shell />;
}

function Shell() {
  const { me, logout } = useAuth();
  const navigate = useNavigate();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/apps" className="brand" aria-label="Herald home">
          <span className="brand-mark" aria-hidden="true">
            H
          </span>
          Herald
        </NavLink>
        <nav className="topnav" aria-label="Main">
          <NavLink to="/apps">Apps</NavLink>
          {me?.role === 'admin' && <NavLink to="/admin">Admin</NavLink>}
          <a href="/docs" target="_blank" rel="noreferrer">
            API docs
          </a>
        </nav>
        <div className="user">
          <span data-testid="me">{me?.email}</span>
          <Button
            variant="ghost"
            size="sm"
            onClick={async () => {
              await logout();
              navigate('/login');
            }}
          >
            Log out
          </Button>
        </div>
      </header>
      <main className="page" id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}

function AdminOnly() {
  const { me } = useAuth();
  if (me?.role !== 'admin') return <EmptyState title="Admins only" icon="⛔">This area is for Herald operators.</EmptyState>;
  return <AdminPage />;
}

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/signup" element={<SignupPage />} />
      <Route element={<RequireAuth />}>
        <Route index element={<Navigate to="/apps" replace />} />
        <Route path="/apps" element={<AppsPage />} />
        <Route path="/apps/new" element={<NewAppPage />} />
        <Route path="/apps/:appId" element={<AppPage />}>
          <Route index element={<OverviewTab />} />
          <Route path="keys" element={<KeysTab />} />
          <Route path="pusher" element={<PusherTab />} />
          <Route path="console" element={<ConsoleTab />} />
          <Route
            path="stats"
            element={
              <Suspense fallback={<Loading label="Loading stats…" />}>
                <StatsTab />
              </Suspense>
            }
          />
          <Route path="webhooks" element={<WebhooksTab />} />
          <Route path="push" element={<PushTab />} />
          <Route path="scheduled" element={<ScheduledTab />} />
          <Route path="settings" element={<SettingsTab />} />
        </Route>
        <Route path="/admin/*" element={<AdminOnly />} />
        <Route path="*" element={<EmptyState title="Page not found" icon="?" action={<NavLink to="/apps">Back to your apps</NavLink>} />} />
      </Route>
    </Routes>
  );
}
