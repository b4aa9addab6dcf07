import WebSocket from 'ws';
import { EventSource } from 'eventsource';

/** What one subscriber saw: messages in arrival order, and any subscription that could not resume. */
export interface Observer {
  seen: Array<{ offset: number; id: string }>;
  unrecovered: number;
  stop(): void;
}

type Frame = { type: string; offset?: number; id?: string; epoch?: string; recovered?: boolean; frames?: Frame[] };

/** A WebSocket subscriber that reconnects by itself and resumes from its last position. */
export function wsObserver(url: string, appkey: string, channel: string, onReady: () => void): Observer {
  const o: Observer = { seen: [], unrecovered: 0, stop: () => undefined };
  let pos: { offset: number; epoch: string } | undefined;
  let stopped = false;
  let ws: WebSocket;
  const open = () => {
    ws = new WebSocket(`${url}/ws?appkey=${appkey}`);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', id: 1, channel, ...(pos ?? {}) })));
    ws.on('message', (d: Buffer) => {
      const f = JSON.parse(d.toString()) as Frame;
      if (f.type === 'subscribed') {
        if (pos && !f.recovered) o.unrecovered++;
        pos ??= { offset: f.offset!, epoch: f.epoch! };
        onReady();
      } else if (f.type === 'message') {
        o.seen.push({ offset: f.offset!, id: f.id! });
        pos = { offset: f.offset!, epoch: f.epoch! };
      }
    });
    ws.on('close', () => {
      if (!stopped) setTimeout(open, 50);
    });
    ws.on('error', () => undefined);
  };
  open();
  o.stop = () => {
    stopped = true;
    ws.close();
  };
  return o;
}

/** A real WHATWG EventSource: it reconnects by itself and sends Last-Event-ID. */
export function sseObserver(url: string, appkey: string, channel: string, onReady: () => void): Observer {
  const o: Observer = { seen: [], unrecovered: 0, stop: () => undefined };
  const es = new EventSource(`${url}/sse?appkey=${appkey}&channel=${channel}`);
  es.addEventListener('subscribed', (e) => {
    if (!(JSON.parse(e.data) as Frame).recovered) o.unrecovered++;
    onReady();
  });
  es.onmessage = (e) => {
    const f = JSON.parse(e.data) as Frame;
    o.seen.push({ offset: f.offset!, id: f.id! });
  };
  o.stop = () => es.close();
  return o;
}

/** Long-polling with the cursor carried by the client, each poll to the next gateway in turn. */
export function pollObserver(urls: () => string[], appkey: string, channel: string, onReady: () => void): Observer & { abort(): void } {
  let stopped = false;
  let controller = new AbortController();
  const o = {
    seen: [] as Observer['seen'],
    unrecovered: 0,
    stop: () => {
      stopped = true;
      controller.abort();
    },
    abort: () => controller.abort(),
  };
  void (async () => {
    let cursor: string | undefined;
    for (let n = 0; !stopped; n++) {
      const list = urls();
      const base = list[n % list.length];
      controller = new AbortController();
      try {
        // The first poll answers at once with a starting cursor; the next ones are held.
        const q = `${base}/poll?appkey=${appkey}&channel=${channel}${cursor ? `&cursor=${cursor}` : '&wait=0'}`;
        const r = await fetch(q, { signal: controller.signal });
        const body = (await r.json()) as { cursor: string; frames: Frame[] };
        for (const f of body.frames) {
          if (f.type === 'message') o.seen.push({ offset: f.offset!, id: f.id! });
          if (f.type === 'subscribed' && f.recovered === false) o.unrecovered++;
        }
        if (!cursor) onReady();
        cursor = body.cursor;
      } catch {
        // aborted or refused: poll again with the same cursor
      }
    }
  })();
  return o;
}
