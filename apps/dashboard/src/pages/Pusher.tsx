import { useAuth } from '../lib/auth';
import { endpointOf, pusherSnippets } from '../lib/pusher-snippets';
import { useSecretReveal } from '../lib/secret';
import { Button, Card, Code, ErrorBanner, KeyValue, Loading } from '../components/ui';
import { useApp } from './AppPage';

const SECRET_PLACEHOLDER = '<your secret: Reveal secret above>';

/** The app as a Pusher app: its credentials and ready snippets for pusher-js, Laravel and Node. */
export function PusherTab() {
  const { app, commonKey, keys } = useApp();
  const { config } = useAuth();
  const secret = useSecretReveal(app.id);
  if (keys.loading && !keys.data) return <Loading />;
  const gatewayUrl = config.gatewayUrl.replace(/\/$/, '');
  const ws = endpointOf(gatewayUrl);
  const apiEndpoint = endpointOf(config.apiUrl || location.origin);
  const key = commonKey ?? '<no active common key: rotate one on the Keys tab>';
  const s = pusherSnippets({ appId: app.id, key, secret: secret.value ?? SECRET_PLACEHOLDER, ws, api: apiEndpoint, gatewayUrl });
  return (
    <div className="stack">
      <ErrorBanner error={secret.error} />
      <Card
        title="Pusher credentials"
        data-testid="pusher-credentials"
        actions={
          secret.value ? (
            <Button size="sm" onClick={secret.hide}>
              Hide
            </Button>
          ) : (
            <Button size="sm" onClick={secret.reveal} loading={secret.revealing}>
              Reveal secret
            </Button>
          )
        }
      >
        <p className="muted">
          Herald speaks Pusher&rsquo;s protocol: pusher-js, Laravel Echo and Pusher&rsquo;s server libraries work unchanged with these values.
        </p>
        <dl className="kv">
          <dt>app_id</dt>
          <dd>
            <KeyValue value={app.id} label="Pusher app_id" />
          </dd>
          <dt>key</dt>
          <dd>{commonKey ? <KeyValue value={commonKey} label="Pusher key" /> : <span className="muted">{key}</span>}</dd>
          <dt>secret</dt>
          <dd>{secret.value ? <KeyValue value={secret.value} label="Pusher secret" /> : <code className="muted">••••••••</code>}</dd>
          <dt>Clients (pusher-js, Echo)</dt>
          <dd className="mono" data-testid="pusher-ws">
            {ws.scheme === 'https' ? 'wss' : 'ws'}://{ws.host}:{ws.port}/app/{'{key}'}
          </dd>
          <dt>Server libraries</dt>
          <dd className="mono" data-testid="pusher-api">
            {apiEndpoint.scheme}://{apiEndpoint.host}:{apiEndpoint.port}/apps/{'{app_id}'}
          </dd>
        </dl>
      </Card>
      <Card title="pusher-js">
        <Code label="HTML · pusher-js with Herald's replay" copy>
          {s.pusherJs}
        </Code>
      </Card>
      <Card title="Laravel">
        <div className="stack">
          <Code label=".env · Pusher driver" copy>
            {s.pusherEnv}
          </Code>
          <Code label=".env · Reverb driver" copy>
            {s.reverbEnv}
          </Code>
          <Code label="JavaScript · Laravel Echo" copy>
            {s.echo}
          </Code>
        </div>
      </Card>
      <Card title="Node server library (pusher)">
        <Code label="JavaScript · pusher" copy>
          {s.node}
        </Code>
      </Card>
    </div>
  );
}
