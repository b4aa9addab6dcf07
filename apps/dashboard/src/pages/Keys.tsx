import { useState } from 'react';
import { api, appPath, ApiError, type Key, type KeyKind, type Rotate, type RotatedKey } from '../lib/api';
import { useSecretReveal } from '../lib/secret';
import { fmt } from '../lib/hooks';
import { Badge, Button, Card, Dialog, ErrorBanner, Field, KeyValue, Loading, Select, Table } from '../components/ui';
import { useApp } from './AppPage';

const KINDS: Array<{ kind: KeyKind; title: string; what: string }> = [
  { kind: 'common', title: 'Common key', what: 'For web pages and apps: subscribe and publish.' },
  { kind: 'subscribe', title: 'Subscribe key', what: 'For clients that only listen: publishing is refused.' },
  { kind: 'secret', title: 'Secret', what: 'Server side only: REST publish, scheduled messages, access tokens. Never put it in a page.' },
];

/** How long the replaced key keeps working after a rotation (seconds; the API allows 0 to 30 days). */
const GRACE_CHOICES = [
  { seconds: 3_600, label: '1 hour' },
  { seconds: 86_400, label: '24 hours' },
  { seconds: 7 * 86_400, label: '7 days' },
  { seconds: 30 * 86_400, label: '30 days' },
  { seconds: 0, label: 'None: it stops now' },
];

const statusTone = { active: 'green', retiring: 'amber', revoked: 'red' } as const;

export function KeysTab() {
  const { app, keys } = useApp();
  const secret = useSecretReveal(app.id);
  const revealed = secret.value;
  const [error, setError] = useState<ApiError>();
  const [rotating, setRotating] = useState<KeyKind>();
  const [rotated, setRotated] = useState<RotatedKey>();
  const [revoking, setRevoking] = useState<Key>();
  const [busy, setBusy] = useState(false);
  const [graceSeconds, setGraceSeconds] = useState(86_400);

  async function rotate() {
    if (!rotating) return;
    setBusy(true);
    setError(undefined);
    try {
      const r = await api.post<RotatedKey, Rotate>(appPath(app.id, `/keys/${rotating}/rotate`), { graceSeconds });
      setRotated(r);
      if (rotating === 'secret') secret.hide();
      keys.reload();
    } catch (e) {
      setError(e as ApiError);
      setRotating(undefined);
    } finally {
      setBusy(false);
    }
  }
  async function revoke() {
    if (!revoking) return;
    setBusy(true);
    setError(undefined);
    try {
      await api.post(appPath(app.id, `/keys/${revoking.id}/revoke`));
      keys.reload();
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(false);
      setRevoking(undefined);
    }
  }

  if (keys.error && !keys.data) return <ErrorBanner error={keys.error} onRetry={keys.reload} title="Could not load the keys" />;
  if (!keys.data) return <Loading label="Loading keys…" />;
  return (
    <div className="stack">
      <ErrorBanner error={error ?? secret.error} />
      {KINDS.map(({ kind, title, what }) => {
        const list = keys.data!.filter((k) => k.kind === kind).sort((a, b) => (a.status === b.status ? b.createdAt.localeCompare(a.createdAt) : a.status.localeCompare(b.status)));
        return (
          <Card
            key={kind}
            title={title}
            data-testid={`keys-${kind}`}
            actions={
              <>
                {kind === 'secret' && !revealed && (
                  <Button size="sm" onClick={secret.reveal} loading={secret.revealing}>
                    Reveal secret
                  </Button>
                )}
                {kind === 'secret' && revealed && (
                  <Button size="sm" onClick={secret.hide}>
                    Hide
                  </Button>
                )}
                <Button size="sm" onClick={() => (setRotated(undefined), setRotating(kind))}>
                  Rotate…
                </Button>
              </>
            }
            className="flush"
          >
            <p className="muted" style={{ padding: '12px 20px 0', margin: 0 }}>
              {what}
            </p>
            <Table head={['Key', 'Status', 'Created', 'Stops working', '']} caption={title}>
              {list.map((k) => (
                <tr key={k.id} data-key-id={k.id} data-status={k.status} data-kind={k.kind}>
                  <td>
                    {k.value ? (
                      <KeyValue value={k.value} label={`${title} ${k.status}`} />
                    ) : k.kind === 'secret' && k.status === 'active' && revealed ? (
                      <KeyValue value={revealed} label="Secret" />
                    ) : (
                      <code className="muted">{k.masked ?? '••••••••'}</code>
                    )}
                  </td>
                  <td>
                    <Badge tone={statusTone[k.status]}>{k.status}</Badge>
                  </td>
                  <td className="small muted">{fmt.date(k.createdAt)}</td>
                  <td className="small">{k.status === 'retiring' ? `${fmt.relative(k.retiresAt)} (${fmt.date(k.retiresAt)})` : k.status === 'revoked' ? `revoked ${fmt.date(k.revokedAt)}` : '—'}</td>
                  <td className="num">
                    {k.status !== 'revoked' && (
                      <Button size="sm" variant="ghost" onClick={() => setRevoking(k)} aria-label={`Revoke ${k.kind} key ${k.value ?? k.masked ?? k.id}`}>
                        Revoke
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </Table>
          </Card>
        );
      })}

      <Dialog
        open={rotating !== undefined}
        title={rotated ? 'Key rotated' : `Rotate the ${rotating} key?`}
        onClose={() => (setRotating(undefined), setRotated(undefined))}
        data-testid="rotate-dialog"
        footer={
          rotated ? (
            <Button variant="primary" onClick={() => (setRotating(undefined), setRotated(undefined))}>
              Done
            </Button>
          ) : (
            <>
              <Button onClick={() => setRotating(undefined)}>Cancel</Button>
              <Button variant="primary" onClick={rotate} loading={busy} data-autofocus>
                Rotate
              </Button>
            </>
          )
        }
      >
        {rotated ? (
          <>
            <p>The new key is active now:</p>
            <KeyValue value={rotated.key.value ?? ''} label="New key" />
            {rotated.key.kind === 'secret' && <p className="small muted">This secret is shown here once; reveal it again later from this tab.</p>}
            <p className="muted" data-testid="grace">
              {rotated.previous.count
                ? `${rotated.previous.count} previous key${rotated.previous.count > 1 ? 's keep' : ' keeps'} working until ${fmt.date(rotated.previous.retiresAt)} (${fmt.relative(rotated.previous.retiresAt)}), then stop${rotated.previous.count > 1 ? '' : 's'}.`
                : 'There was no previous key to retire.'}
            </p>
          </>
        ) : (
          <>
            <p>A new {rotating} key is created and becomes the active one.</p>
            <Field label="Grace period" hint="The current key keeps working this long (connected clients stay connected), so you can roll the new key out without downtime. To cut a leaked key off at once, revoke it instead.">
              <Select name="graceSeconds" value={graceSeconds} onChange={(e) => setGraceSeconds(Number(e.target.value))}>
                {GRACE_CHOICES.map((g) => (
                  <option key={g.seconds} value={g.seconds}>
                    {g.label}
                  </option>
                ))}
              </Select>
            </Field>
          </>
        )}
      </Dialog>

      <Dialog
        open={revoking !== undefined}
        title="Revoke this key?"
        onClose={() => setRevoking(undefined)}
        footer={
          <>
            <Button onClick={() => setRevoking(undefined)}>Cancel</Button>
            <Button variant="danger" onClick={revoke} loading={busy}>
              Revoke now
            </Button>
          </>
        }
      >
        <p>
          The {revoking?.kind} key <code>{revoking?.value ?? revoking?.masked}</code> stops working at once, and connections made with it are closed within seconds. This cannot be undone.
        </p>
      </Dialog>
    </div>
  );
}
