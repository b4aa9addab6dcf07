import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import Herald, { type HeraldClient } from '@herald/sdk';
import { useAuth } from '../lib/auth';
import { fmt } from '../lib/hooks';
import { Badge, Button, Card, EmptyState, Field, Input, Loading, Textarea } from '../components/ui';
import { useApp } from './AppPage';

type LogKind = 'status' | 'message' | 'publish' | 'subscribe' | 'error';
interface LogLine {
  n: number;
  at: number;
  kind: LogKind;
  text: string;
  channel?: string;
}
const MAX_LINES = 500;
/** The channel the README's steps, the chat demo and the Quick start use. */
const DEFAULT_CHANNEL = 'lobby';
const CHANNEL = /^[A-Za-z0-9_\-=@,.;:!/]{1,164}$/;

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** The debug console: a real Herald SDK client (libs/sdk/src) connected with the app's common key. */
export function ConsoleTab() {
  const { app, commonKey, keys } = useApp();
  const { config } = useAuth();
  const [status, setStatus] = useState('disconnected');
  const [transport, setTransport] = useState<string>();
  const [channels, setChannels] = useState<string[]>([]);
  const [log, setLog] = useState<LogLine[]>([]);
  const [sub, setSub] = useState('');
  const [subError, setSubError] = useState<string>();
  const [pubChannel, setPubChannel] = useState(DEFAULT_CHANNEL);
  const [pubMessage, setPubMessage] = useState('{"nick":"console","text":"Hello from the Herald console"}');
  const [pubError, setPubError] = useState<string>();
  const [publishing, setPublishing] = useState(false);
  const client = useRef<HeraldClient | null>(null);
  const counter = useRef(0);
  const logRef = useRef<HTMLDivElement>(null);

  const add = useCallback((kind: LogKind, text: string, channel?: string) => {
    setLog((l) => [...l.slice(-(MAX_LINES - 1)), { n: ++counter.current, at: Date.now(), kind, text, channel }]);
  }, []);

  const subscribe = useCallback(
    async (channel: string) => {
      const c = client.current;
      if (!c) return;
      setChannels((cs) => (cs.includes(channel) ? cs : [...cs, channel]));
      add('subscribe', `subscribing to ${channel}…`, channel);
      try {
        await c.pubsub.subscribe({
          channel,
          onMessage: (m) => add('message', `${show(m.content)}   (offset ${m.offset}, id ${m.id})`, m.channel),
        });
      } catch (e) {
        const err = e as { content?: string; reason?: string };
        add('error', `subscribe ${channel} refused: ${err.content ?? String(e)} (${err.reason ?? 'error'})`, channel);
        setChannels((cs) => cs.filter((x) => x !== channel));
      }
    },
    [add],
  );

  const connect = useCallback(() => {
    if (!commonKey || client.current) return;
    const c = Herald.init({ host: config.gatewayUrl, appkey: commonKey, minReconnectDelay: 300, maxReconnectDelay: 5000 });
    client.current = c;
    c.on('status', (s) => {
      setStatus(s);
      add('status', s);
    });
    c.on('connected', (i) => {
      setTransport(i.transport);
      add('status', `connected over ${i.transport} as ${i.connectionId}${i.reconnect ? ' (reconnect)' : ''}`);
    });
    c.on('disconnected', (i) => add(i.willReconnect ? 'status' : 'error', `disconnected: ${i.reason || 'closed'} (code ${i.code})${i.willReconnect ? ', reconnecting' : ''}`));
    c.on('subscribed', (i) => add('subscribe', `subscribed to ${i.channel} at offset ${i.offset}${i.replayed ? `, ${i.replayed} replayed` : ''}`, i.channel));
    c.on('unsubscribed', (i) => add('error', `unsubscribed from ${i.channel}${i.error ? `: ${i.error.content} (${i.error.reason})` : ''}`, i.channel));
    c.on('recovered', (i) => add('error', `continuity lost on ${i.channel} (${i.cause})`, i.channel));
    c.on('error', (e) => add('error', `${e.content} (${e.reason})`));
    add('status', `connecting to ${config.gatewayUrl} with ${commonKey.slice(0, 10)}…`);
    c.connect().catch((e: { content?: string; reason?: string }) => add('error', `connect failed: ${e.content ?? String(e)} (${e.reason ?? 'error'})`));
    void subscribe(DEFAULT_CHANNEL);
  }, [commonKey, config.gatewayUrl, add, subscribe]);

  const disconnect = useCallback(() => {
    const c = client.current;
    client.current = null;
    setChannels([]);
    setTransport(undefined);
    void c?.disconnect().catch(() => undefined);
  }, []);

  useEffect(() => {
    connect();
    return () => {
      const c = client.current;
      client.current = null;
      void c?.disconnect().catch(() => undefined);
    };
  }, [connect]);

  useEffect(() => {
    const el = logRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [log]);

  async function onSubscribe(e: FormEvent) {
    e.preventDefault();
    const ch = sub.trim();
    if (!CHANNEL.test(ch)) return setSubError('1–164 characters from A–Z a–z 0–9 _ - = @ , . ; : ! /');
    setSubError(undefined);
    setSub('');
    await subscribe(ch);
  }

  async function unsubscribe(ch: string) {
    setChannels((cs) => cs.filter((x) => x !== ch));
    await client.current?.pubsub.unsubscribe({ channel: ch }).catch(() => undefined);
    add('subscribe', `unsubscribed from ${ch}`, ch);
  }

  async function onPublish(e: FormEvent) {
    e.preventDefault();
    const ch = pubChannel.trim();
    if (!CHANNEL.test(ch)) return setPubError('Enter a channel name: 1–164 characters from A–Z a–z 0–9 _ - = @ , . ; : ! /');
    if (!pubMessage.trim()) return setPubError('Enter a message: text, or JSON such as {"text":"hi"}.');
    setPubError(undefined);
    let message: unknown = pubMessage;
    try {
      message = JSON.parse(pubMessage);
    } catch {
      /* plain text */
    }
    const c = client.current;
    if (!c) return setPubError('Connect first.');
    setPublishing(true);
    try {
      const r = await c.pubsub.publish({ channel: ch, message });
      add('publish', `published to ${ch} at offset ${r.offset}${r.duplicate ? ' (duplicate)' : ''}`, ch);
    } catch (err) {
      const x = err as { content?: string; reason?: string; code?: number };
      add('error', `publish refused: ${x.content ?? String(err)} (${x.reason ?? 'error'})`, ch);
      setPubError(`${x.code ?? ''} ${x.content ?? String(err)}`.trim());
    } finally {
      setPublishing(false);
    }
  }

  if (keys.loading && !keys.data) return <Loading />;
  if (!commonKey)
    return (
      <Card>
        <EmptyState title="No active common key" icon="⚿">
          The console connects with the app’s common key. Rotate one on the Keys tab.
        </EmptyState>
      </Card>
    );

  const connected = status === 'connected' || status === 'reconnected';
  return (
    <div className="console">
      <div className="stack">
        <Card
          title="Connection"
          className="compact"
          actions={
            client.current ? (
              <Button size="sm" onClick={disconnect}>
                Disconnect
              </Button>
            ) : (
              <Button size="sm" variant="primary" onClick={connect}>
                Connect
              </Button>
            )
          }
        >
          <div data-testid="console-status" data-status={status} title={`app ${app.id}`}>
            <span className={`status-dot ${status}`} aria-hidden="true" />
            <strong>{status}</strong>
            {transport && connected && <span className="muted"> · {transport}</span>}
          </div>
          <div className="small muted" style={{ marginTop: 6 }}>
            {config.gatewayUrl}
          </div>
        </Card>
        <Card title="Publish a test message" className="compact">
          <form
            className="form"
            onSubmit={onPublish}
            noValidate
            aria-label="Publish a test message"
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) onPublish(e);
            }}
          >
            <Field label="Channel">
              <Input value={pubChannel} onChange={(e) => setPubChannel(e.target.value)} name="publish-channel" />
            </Field>
            <Field label="Message" hint="JSON or plain text · Ctrl+Enter publishes" error={pubError}>
              <Textarea value={pubMessage} onChange={(e) => setPubMessage(e.target.value)} rows={2} name="publish-message" />
            </Field>
            <Button type="submit" variant="primary" loading={publishing} disabled={!client.current}>
              Publish
            </Button>
          </form>
        </Card>
        <Card title="Subscribe" className="compact">
          <form className="inline-form" onSubmit={onSubscribe} noValidate aria-label="Subscribe to a channel">
            <Field label="Channel" error={subError}>
              <Input value={sub} onChange={(e) => setSub(e.target.value)} placeholder="e.g. chat.room-1" name="subscribe-channel" />
            </Field>
            <Button type="submit" disabled={!client.current}>
              Subscribe
            </Button>
          </form>
          <div className="chips" style={{ marginTop: 10 }} aria-label="Subscribed channels">
            {channels.length === 0 && <span className="muted small">Not subscribed to any channel.</span>}
            {channels.map((c) => (
              <span className="chip" key={c}>
                {c}
                <button type="button" aria-label={`Unsubscribe from ${c}`} onClick={() => unsubscribe(c)}>
                  ×
                </button>
              </span>
            ))}
          </div>
        </Card>
      </div>
      <Card
        className="flush"
        title={
          <>
            Event log <Badge>{log.filter((l) => l.kind === 'message').length} messages</Badge>
          </>
        }
        actions={
          <Button size="sm" variant="ghost" onClick={() => setLog([])} disabled={!log.length}>
            Clear
          </Button>
        }
      >
        <div className="console-log" ref={logRef} data-testid="console-log" role="log" aria-live="polite" aria-label="Connection, subscription and message events" tabIndex={0}>
          {log.length === 0 && <div className="log-line"><span className="t" /><span className="k" /><span className="b">Nothing yet.</span></div>}
          {log.map((l) => (
            <div key={l.n} className={`log-line ${l.kind}`} data-kind={l.kind}>
              <span className="t">{fmt.time(l.at)}</span>
              <span className="k">{l.kind}{l.channel ? '' : ''}</span>
              <span className="b">
                {l.channel && l.kind === 'message' ? <strong>{l.channel} </strong> : null}
                {l.text}
              </span>
            </div>
          ))}
        </div>
      </Card>
    </div>
  );
}
