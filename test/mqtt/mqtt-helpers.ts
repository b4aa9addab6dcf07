import { after, before } from 'node:test';
import { execFile } from 'node:child_process';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startStack, type Stack, type StackOptions } from '@herald/testing';

/** What every MQTT test file shares: a stack of real processes (two gateways), its MQTT URLs, and clients closed at the end. */
export interface MqttStack {
  readonly stack: Stack;
  tcpUrl(gateway?: number): string;
  wsUrl(gateway?: number): string;
  /** A connected client, or the CONNACK refusal's error. */
  client(url: string, opts: IClientOptions): Promise<MqttClient>;
  /** The CONNACK refusal of a connect that must fail: its code and message. */
  refusal(url: string, opts: IClientOptions): Promise<{ code?: number; message: string }>;
  /** Connects and returns the client with its CONNACK's sessionPresent, its messages and its DISCONNECT's reason code. */
  session(url: string, opts: IClientOptions): Promise<MqttSession>;
}

export interface MqttSession {
  c: MqttClient;
  present: boolean;
  got: string[];
  disconnected: Promise<number | undefined>;
}

/**
 * Registers the file's before/after hooks: one stack (two gateways, no worker unless asked) for all its
 * tests. Options that need something started first (a Redis Cluster's nodes) are given as an async function.
 */
export function mqttStack(opts: StackOptions | (() => Promise<StackOptions>) = { gateways: 2, workers: 0 }): MqttStack {
  let stack: Stack | undefined;
  const clients: MqttClient[] = [];
  before(async () => {
    stack = await startStack(typeof opts === 'function' ? await opts() : opts);
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await stack?.stop();
  });
  const started = () => {
    if (!stack) throw new Error('the stack has not started');
    return stack;
  };
  const client = async (url: string, o: IClientOptions) => {
    const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...o });
    clients.push(c);
    return c;
  };
  return {
    get stack() {
      return started();
    },
    tcpUrl: (g = 0) => `mqtt://127.0.0.1:${started().gateways[g].listening('mqtt')}`,
    wsUrl: (g = 0) => `${started().gateways[g].url.replace('http', 'ws')}/mqtt`,
    client,
    refusal: async (url, o) => {
      try {
        const c = await client(url, o);
        await c.endAsync(true);
      } catch (e) {
        return { code: (e as { code?: number }).code, message: (e as Error).message };
      }
      throw new Error('connected; a refusal was expected');
    },
    session: async (url, o) => {
      const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, resubscribe: false, ...o });
      clients.push(c);
      const got: string[] = [];
      c.on('message', (_topic, payload) => got.push(payload.toString('utf8')));
      // Listening from the start: a DISCONNECT may come in the same read as the CONNACK.
      const disconnected = new Promise<number | undefined>((resolve) => c.once('disconnect', (p) => resolve(p.reasonCode)));
      const present = await new Promise<boolean>((resolve, reject) => {
        c.once('connect', (connack) => resolve(connack.sessionPresent));
        c.once('error', reject);
      });
      return { c, present, got, disconnected };
    },
  };
}

/** Collects messages per topic as text. */
export function inbox(c: MqttClient): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  c.on('message', (topic, payload) => seen.set(topic, [...(seen.get(topic) ?? []), payload.toString('utf8')]));
  return seen;
}

/** Runs one of Debian's mosquitto clients (`mosquitto-clients`) to completion; its stdout. */
export function mosquitto(cmd: 'mosquitto_pub' | 'mosquitto_sub', args: string[], timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(`/usr/bin/${cmd}`, args, { timeout: timeoutMs }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd}: ${err.message} ${stderr}`)) : resolve(stdout)));
  });
}

/** Resolves once the app reports the channel occupied (a subscriber outside the test process is in). */
export async function channelListed(apiUrl: string, t: { appId: string; token: string }, channel: string): Promise<boolean> {
  const r = await fetch(`${apiUrl}/v1/apps/${t.appId}/channels`, { headers: { authorization: `Bearer ${t.token}` } });
  const body = (await r.json()) as { channels?: Array<{ channel: string }> };
  return body.channels?.some((c) => c.channel === channel) === true;
}
