import { Link, useLocation } from 'react-router-dom';
import { useAuth } from '../lib/auth';
import { Card, Code, KeyValue, Loading } from '../components/ui';
import { useApp } from './AppPage';

export function OverviewTab() {
  const { app, commonKey, keys } = useApp();
  const { config } = useAuth();
  const created = (useLocation().state as { created?: { secret: string } } | null)?.created;
  const key = commonKey ?? 'BC-…';
  const gw = config.gatewayUrl.replace(/\/$/, '');
  const api = (config.apiUrl || location.origin).replace(/\/$/, '');
  const sdk = `<script src="${gw}/sdk/herald.js"></script>
<script>
  const herald = Herald.init({ host: '${gw}', appkey: '${key}' });
  herald.connect();
  herald.pubsub.subscribe({
    channel: 'lobby',
    onMessage: (m) => console.log(\`\${m.content.nick}: \${m.content.text}\`),
  });
</script>`;
  const curl = `curl -X POST ${api}/v1/publish \\
  -H 'Authorization: Bearer <your secret>' \\
  -H 'Content-Type: application/json' \\
  -d '{"channel":"lobby","message":{"nick":"curl","text":"Hello!"}}'`;
  const sdkPublish = `herald.pubsub.publish({ channel: 'lobby', message: { nick: 'me', text: 'Hello!' } });`;

  return (
    <div className="stack">
      {created && (
        <div className="notice green" role="status">
          <strong>Your app is ready.</strong> Its secret is shown once here; keep it on your server:{' '}
          <KeyValue value={created.secret} label="New secret" /> You can reveal it again on the Keys tab.
        </div>
      )}
      <Card title="Quick start: your first message in three steps">
        {keys.loading && !keys.data ? (
          <Loading />
        ) : (
          <ol className="steps" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
            <li className="step">
              <span className="step-num" aria-hidden="true">
                1
              </span>
              <div>
                <h3>Copy your common key</h3>
                <p className="muted">Browsers connect with it: it can subscribe and publish, nothing else. Your secret stays on your server.</p>
                {commonKey ? <KeyValue value={commonKey} label="Common key" /> : <span className="muted">No active common key: rotate one on the Keys tab.</span>}
              </div>
            </li>
            <li className="step">
              <span className="step-num" aria-hidden="true">
                2
              </span>
              <div>
                <h3>Open the debug console</h3>
                <p className="muted">
                  It connects with the Herald SDK and subscribes to a channel, so you see messages arrive live. Or paste this into your page:
                </p>
                <div className="row" style={{ marginBottom: 12 }}>
                  <Link className="btn btn-primary" to={`/apps/${app.id}/console`}>
                    Open the debug console
                  </Link>
                </div>
                <Code label="HTML · Herald SDK" copy>
                  {sdk}
                </Code>
              </div>
            </li>
            <li className="step">
              <span className="step-num" aria-hidden="true">
                3
              </span>
              <div>
                <h3>Publish</h3>
                <p className="muted">From the console’s publish form, from your server with the secret, or from the browser with the SDK:</p>
                <div className="stack">
                  <Code label="curl · REST API" copy>
                    {curl}
                  </Code>
                  <Code label="JavaScript · Herald SDK" copy>
                    {sdkPublish}
                  </Code>
                </div>
              </div>
            </li>
          </ol>
        )}
      </Card>
    </div>
  );
}
