// The browser-console snippet `npm start` prints (and the README shows): load the script-tag SDK from
// the gateway, connect, subscribe. A page whose Content-Security-Policy blocks the script (the
// dashboard's pages) fires the script's error event; a load that never ends hits the timeout. Either
// way the snippet rejects with a message saying what to do instead of waiting forever. The page to use
// is one served from the gateway (the chat demo's): Chromium refuses a blank tab (origin null, not a
// secure context) any request to localhost (Private Network Access).

export const BLOCKED_MESSAGE =
  "herald.js was blocked (this page's Content-Security-Policy?) or the gateway is down: run this in the chat demo's page";

/** Three lines of JavaScript; `onMessage` prints `nick: text`, the shape the chat demo publishes. */
export function consoleSnippet({ gateway, appkey, channel, timeoutMs = 10_000 }) {
  const timeout = `herald.js did not load within ${timeoutMs / 1000} s: is the gateway running?`;
  return [
    `await new Promise((resolve, reject) => { setTimeout(() => reject(new Error(${JSON.stringify(timeout)})), ${timeoutMs}); document.head.append(Object.assign(document.createElement('script'), { src: ${JSON.stringify(`${gateway}/sdk/herald.js`)}, onload: resolve, onerror: () => reject(new Error(${JSON.stringify(BLOCKED_MESSAGE)})) })); });`,
    `const herald = Herald.init({ host: ${JSON.stringify(gateway)}, appkey: ${JSON.stringify(appkey)} });`,
    `herald.connect(); herald.pubsub.subscribe({ channel: ${JSON.stringify(channel)}, onMessage: (m) => console.log(\`\${m.content.nick}: \${m.content.text}\`) });`,
  ];
}
