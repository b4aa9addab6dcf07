// Keep-alive HTTP publishing on 127.0.0.1 for every target, and a free port.
import http from 'node:http';
import net from 'node:net';

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * POSTs over a keep-alive agent (`sockets` connections at most). post() resolves with
 * { status, ms, body } (body parsed as JSON when it is JSON) and never rejects.
 */
export function httpPoster(port, { sockets = 64, headers = {}, timeoutMs = 30_000 } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  let inflight = 0;
  let maxInflight = 0;
  function post(path, payload) {
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const started = performance.now();
    inflight++;
    if (inflight > maxInflight) maxInflight = inflight;
    return new Promise((resolve) => {
      const done = (r) => (inflight--, resolve({ ...r, ms: performance.now() - started }));
      const req = http.request(
        { agent, host: '127.0.0.1', port, method: 'POST', path, timeout: timeoutMs, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c) => (text += c));
          res.on('end', () => {
            let parsed = text;
            if (text.startsWith('{') || text.startsWith('[')) {
              try {
                parsed = JSON.parse(text);
              } catch {
                /* keep text */
              }
            }
            done({ status: res.statusCode, body: parsed });
          });
          res.on('error', (e) => done({ status: 0, error: e.message }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => done({ status: 0, error: e.message }));
      req.end(body);
    });
  }
  return { post, close: () => agent.destroy(), get maxInflight() { return maxInflight; } };
}
