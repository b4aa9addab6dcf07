// One subscriber process of the load generator (forked by bench/load/subscribers.mjs, ≤ 5,000
// connections each). Commands over IPC:
//   {cmd:'open', conns:[{kind,url,channel,urls?}], concurrency}  → {type:'opened', ready, failed, errors}
//   {cmd:'reset'}   zero the counters (positions are kept, so gaps across runs still show)
//   {cmd:'watch', on} → {type:'watching', ready}; then {type:'done', i} once every ready connection of this
//                   process has the message whose payload `i` is i (closed-loop publishing)
//   {cmd:'stats'}   → {type:'stats', deliveries, duplicates, outOfOrder, holes, hist (HDR, µs, base64), …}
//   {cmd:'close'}   close every connection, then exit
// Per delivery: latency = now − the payload's `t` (performance.timeOrigin + performance.now(), the same
// clock in every process), and a sequence check per connection: Herald frames by `offset`, peers by the
// payload's `i`. A jump over n numbers opens n holes; a number below the highest seen fills a hole (out of
// order) or, when it was seen already, is a duplicate. Gaps = holes still open + what never arrived.
// Client kinds: herald-ws, herald-sdk (WebSocket that resumes on the other gateway with its cursor),
// herald-sse, herald-poll, herald-pusher (Pusher's protocol 7 on /app/{key}, the frames pusher-js sends and
// reads), peer-ws (raw ws, Nchan), peer-sse (Nchan eventsource), nchan-poll, socketio, mqtt (MQTT 3.1.1
// over TCP, QoS 0, clean session: Herald's gateways and mosquitto alike; the payload is the published JSON).
import http from 'node:http';
import net from 'node:net';
import { generate, parser as mqttParser } from 'mqtt-packet';
import * as hdr from 'hdr-histogram-js';
import WebSocket from 'ws';
import { io } from 'socket.io-client';

const nowMs = () => performance.timeOrigin + performance.now();
const newHist = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 10_000 });

let hist = newHist();
let deliveries = 0;
let duplicates = 0;
let outOfOrder = 0;
let errors = [];
let closedUnexpectedly = 0;
const conns = [];
let closing = false;

const noteError = (e) => errors.length < 5 && errors.push(String(e?.message ?? e).slice(0, 300));

// Closed-loop tracking ({cmd:'watch'}): payload `i` → how many of this process's ready connections have
// it; {type:'done', i} once all of them do, so the publisher can keep a bounded number in flight.
let watching = false;
let readyHere = 0;
const holders = new Map();

function arrived(i) {
  if (!watching || !Number.isFinite(i)) return;
  const n = (holders.get(i) ?? 0) + 1;
  if (n < readyHere) return void holders.set(i, n);
  holders.delete(i);
  process.send({ type: 'done', i });
}

/**
 * One delivery on connection c: seq is the offset (Herald) or `i` (peers); t the payload's timestamp;
 * i the payload's sequence (closed-loop tracking).
 */
function deliver(c, seq, t, at, i = seq) {
  deliveries++;
  if (Number.isFinite(t)) hist.recordValue(Math.max(1, Math.round((at - t) * 1000)));
  if (seq <= c.last) {
    // Below the highest seen: a late delivery filling a hole, or a duplicate.
    if (c.holes?.delete(seq)) (outOfOrder++, arrived(i));
    else duplicates++;
  } else {
    arrived(i);
    if (c.last > 0 && seq > c.last + 1) {
      c.holes ??= new Set();
      for (let k = c.last + 1; k < seq && c.holes.size < 100_000; k++) c.holes.add(k);
    }
    c.last = seq;
  }
  c.n++;
  if (c.target !== undefined && c.caughtAt === undefined && c.last >= c.target) c.caughtAt = at;
}

/** A peer payload: the JSON the bench published ({t, i, p}). */
function onPeerPayload(c, text, at) {
  let m;
  try {
    m = JSON.parse(text);
  } catch {
    return;
  }
  deliver(c, Number(m.i), Number(m.t), at);
}

/** A Herald frame (WebSocket text, SSE data, poll frame). */
function onHeraldFrame(c, f, at) {
  if (f.type === 'message') {
    c.epoch = f.epoch;
    deliver(c, f.offset, Number(f.content?.t), at, Number(f.content?.i));
  } else if (f.type === 'subscribed') {
    c.epoch = f.epoch;
    if (c.last === 0 && !c.resumes) c.last = f.offset; // a fresh subscription starts live at the channel's tip
    if (!f.recovered) c.notRecovered = (c.notRecovered ?? 0) + 1;
    if (c.resumes) {
      c.resumedAt = at;
      c.target = f.offset; // replay ends at this offset: caught up once it is reached
      if (c.last >= c.target) c.caughtAt = at;
    }
    c.ready?.();
  } else if (f.type === 'ping') c.ws?.send('{"type":"pong"}');
  else if (f.type === 'error' || f.type === 'reset') noteError(JSON.stringify(f));
}

function openWs(c, url, onText, onOpen) {
  const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 30_000 });
  c.ws = ws;
  ws.on('open', () => onOpen?.());
  ws.on('message', (data) => onText(data.toString(), nowMs()));
  ws.on('error', (e) => (c.fail?.(e), noteError(e)));
  ws.on('close', () => c.onClose?.());
  return ws;
}

const openers = {
  'peer-ws'(c) {
    openWs(c, c.url, (text, at) => onPeerPayload(c, text, at), () => c.ready());
  },
  'herald-ws'(c) {
    openWs(c, c.url, (text, at) => {
      const f = JSON.parse(text);
      if (f.type === 'connected') c.ws.send(JSON.stringify({ type: 'subscribe', id: 1, channel: c.channel }));
      else onHeraldFrame(c, f, at);
    });
  },
  'herald-sdk'(c) {
    // Connects to c.urls[0]; after any close it resumes on c.urls[1] (the other gateway) with its last
    // {offset, epoch}, after an SDK-like full-jitter delay, retrying with the backoff until it is back.
    c.attempt = 0;
    c.reconnects = 0;
    const connect = () => {
      const url = c.urls[c.urlIndex % c.urls.length];
      openWs(c, url, (text, at) => {
        const f = JSON.parse(text);
        if (f.type === 'connected') {
          c.attempt = 0;
          const sub = { type: 'subscribe', id: 1, channel: c.channel };
          if (c.epoch) Object.assign(sub, { offset: c.last, epoch: c.epoch });
          c.ws.send(JSON.stringify(sub));
        } else onHeraldFrame(c, f, at);
      });
    };
    c.onClose = () => {
      if (closing) return;
      closedUnexpectedly++;
      c.resumes = true;
      c.resumedAt = undefined;
      c.caughtAt = undefined;
      c.target = undefined;
      c.urlIndex = 1; // the other gateway (the first one is gone), as behind a load balancer
      c.reconnects++;
      const delay = Math.random() * Math.min(20_000, 500 * 2 ** c.attempt++);
      setTimeout(connect, delay);
    };
    c.urlIndex = 0;
    connect();
  },
  'herald-pusher'(c) {
    // A Herald publish reaches a Pusher client as event `message` whose data is the content's JSON text;
    // its sequence is the payload's `i`, as for the peers.
    openWs(c, c.url, (text, at) => {
      const f = JSON.parse(text);
      if (f.event === 'message') onPeerPayload(c, f.data, at);
      else if (f.event === 'pusher:connection_established') c.ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: c.channel } }));
      else if (f.event === 'pusher_internal:subscription_succeeded') c.ready();
      else if (f.event === 'pusher:ping') c.ws.send('{"event":"pusher:pong","data":{}}');
      else if (f.event === 'pusher:error' || f.event === 'pusher:subscription_error') noteError(text);
    });
  },
  mqtt(c) {
    // A minimal client (the `mqtt` package's per-client state would weigh on 5,000 per process): CONNECT,
    // then SUBSCRIBE at QoS 0 once CONNACK accepts; ready at SUBACK.
    const sock = net.connect(c.port, c.host);
    c.sock = sock;
    sock.setNoDelay(true);
    const parser = mqttParser({ protocolVersion: 4 });
    parser.on('packet', (p) => {
      if (p.cmd === 'publish') onPeerPayload(c, p.payload.toString('utf8'), nowMs());
      else if (p.cmd === 'connack') {
        if (p.returnCode !== 0) return c.fail(new Error(`CONNACK ${p.returnCode}`));
        sock.write(generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: c.channel, qos: 0 }] }));
      } else if (p.cmd === 'suback') {
        if (p.granted[0] === 0x80) return c.fail(new Error('SUBACK refused'));
        c.ready();
      }
    });
    parser.on('error', (e) => noteError(e));
    sock.on('connect', () => sock.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: `bench-${process.pid}-${c.index}`, keepalive: 0, username: c.username })));
    sock.on('data', (d) => parser.parse(d));
    sock.on('error', (e) => (c.fail?.(e), noteError(e)));
    sock.on('close', () => c.onClose?.());
  },
  socketio(c) {
    const s = io(c.url, { transports: ['websocket'], query: { channel: c.channel }, reconnection: false, forceNew: true, timeout: 30_000 });
    c.sio = s;
    s.on('connect', () => c.ready());
    s.on('connect_error', (e) => (c.fail(e), noteError(e)));
    s.on('message', (text) => onPeerPayload(c, text, nowMs()));
  },
  'herald-sse'(c) {
    openSse(c, (event, data, at) => {
      if (event === 'message' || event === 'subscribed' || event === 'ping' || event === 'herald-error') onHeraldFrame(c, JSON.parse(data), at);
    });
  },
  'peer-sse'(c) {
    openSse(c, (event, data, at) => event === 'message' && onPeerPayload(c, data, at), () => c.ready());
  },
  'herald-poll'(c) {
    const poll = (wait) => {
      const url = `${c.url}${c.cursor ? `&cursor=${encodeURIComponent(c.cursor)}` : ''}${wait !== undefined ? `&wait=${wait}` : ''}`;
      c.req = http.get(url, { agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          const at = nowMs();
          if (res.statusCode !== 200) {
            noteError(`poll ${res.statusCode} ${text.slice(0, 200)}`);
            if (!c.isReady) return c.fail(new Error(`poll ${res.statusCode}`));
            return closing || setTimeout(() => poll(), 200);
          }
          const body = JSON.parse(text);
          c.cursor = body.cursor;
          for (const f of body.frames) onHeraldFrame(c, f, at);
          if (!c.isReady) c.ready();
          if (!closing) poll();
        });
      });
      c.req.on('error', (e) => (closing ? undefined : c.isReady ? (noteError(e), setTimeout(() => poll(), 200)) : c.fail(e)));
    };
    poll(0); // the starting cursor, answered at once; then held polls
  },
  'nchan-poll'(c) {
    const poll = () => {
      const headers = {};
      if (c.lastModified) headers['if-modified-since'] = c.lastModified;
      if (c.etag) headers['if-none-match'] = c.etag;
      c.req = http.get(c.url, { agent, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          const at = nowMs();
          if (res.statusCode === 200) {
            c.lastModified = res.headers['last-modified'];
            c.etag = res.headers.etag;
            onPeerPayload(c, text, at);
          } else if (res.statusCode !== 304 && res.statusCode !== 408) noteError(`nchan poll ${res.statusCode}`);
          if (!closing) poll();
        });
      });
      // Nchan holds the first request until a message arrives: ready once the request is on the wire.
      c.req.on('finish', () => c.ready());
      c.req.on('error', (e) => (closing ? undefined : c.isReady ? (noteError(e), setTimeout(poll, 200)) : c.fail(e)));
    };
    poll();
  },
};

/** A minimal EventSource over node:http: calls onEvent(event, data, at) per event. */
function openSse(c, onEvent, onHeaders) {
  c.req = http.get(c.url, { agent, headers: { accept: 'text/event-stream' } }, (res) => {
    if (res.statusCode !== 200) {
      res.resume();
      return c.fail(new Error(`SSE ${res.statusCode}`));
    }
    onHeaders?.();
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      const at = nowMs();
      buf += chunk;
      let end;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        let event = 'message';
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('data:')) data += (data ? '\n' : '') + line.slice(line[5] === ' ' ? 6 : 5);
          else if (line.startsWith('event:')) event = line.slice(line[6] === ' ' ? 7 : 6);
        }
        if (data) onEvent(event, data, at);
      }
    });
    res.on('close', () => c.onClose?.());
  });
  c.req.on('error', (e) => (c.fail?.(e), noteError(e)));
}

async function openAll(list, concurrency) {
  let next = 0;
  let ready = 0;
  let failed = 0;
  const one = (spec) =>
    new Promise((resolve) => {
      const c = { ...spec, last: 0, n: 0, isReady: false };
      const t = setTimeout(() => c.fail(new Error('connect timeout')), 60_000);
      c.ready = () => {
        if (c.isReady) return;
        c.isReady = true;
        clearTimeout(t);
        ready++;
        resolve();
      };
      c.fail = (e) => {
        if (c.isReady || c.failed) return;
        c.failed = true;
        clearTimeout(t);
        failed++;
        noteError(e);
        resolve();
      };
      conns.push(c);
      try {
        openers[c.kind](c);
      } catch (e) {
        c.fail(e);
      }
    });
  await Promise.all(
    Array.from({ length: Math.min(concurrency, list.length) }, async () => {
      while (next < list.length) await one(list[next++]);
    }),
  );
  return { ready, failed };
}

function stats() {
  let resumed = 0;
  let caughtUp = 0;
  let lastCaughtAt = 0;
  let notRecovered = 0;
  let reconnects = 0;
  let open = 0;
  let holes = 0;
  for (const c of conns) {
    holes += c.holes?.size ?? 0;
    if (c.resumedAt !== undefined) resumed++;
    if (c.caughtAt !== undefined) {
      caughtUp++;
      if (c.caughtAt > lastCaughtAt) lastCaughtAt = c.caughtAt;
    }
    notRecovered += c.notRecovered ?? 0;
    reconnects += c.reconnects ?? 0;
    if (c.ws ? c.ws.readyState === WebSocket.OPEN : c.sio ? c.sio.connected : c.isReady) open++;
  }
  return {
    type: 'stats',
    clients: conns.length,
    open,
    deliveries,
    duplicates,
    outOfOrder,
    holes,
    closedUnexpectedly,
    errors,
    hist: hdr.encodeIntoCompressedBase64(hist),
    resume: { resumed, caughtUp, lastCaughtAt, notRecovered, reconnects },
    perConnection: conns.map((c) => [c.channel, c.last, c.n]),
  };
}

process.on('message', async (m) => {
  if (m.cmd === 'open') {
    const r = await openAll(m.conns, m.concurrency ?? 100);
    process.send({ type: 'opened', ...r, errors });
  } else if (m.cmd === 'reset') {
    hist = newHist();
    deliveries = duplicates = outOfOrder = closedUnexpectedly = 0;
    errors = [];
    for (const c of conns) c.n = 0;
    process.send({ type: 'reset' });
  } else if (m.cmd === 'watch') {
    watching = m.on;
    holders.clear();
    readyHere = conns.filter((c) => c.isReady && !c.failed).length;
    process.send({ type: 'watching', ready: readyHere });
  } else if (m.cmd === 'stats') {
    const s = stats();
    if (!m.perConnection) delete s.perConnection;
    process.send(s);
  } else if (m.cmd === 'close') {
    closing = true;
    for (const c of conns) {
      try {
        if (c.ws) c.ws.terminate();
        else if (c.sio) c.sio.disconnect();
        else if (c.sock) c.sock.destroy();
        else c.req?.destroy();
      } catch {
        /* closing anyway */
      }
    }
    agent.destroy();
    process.send({ type: 'closed' }, () => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
