// The load generator of `npm run bench`: autocannon in the bench's own process, keep-alive
// connections with one request in flight on each (no HTTP pipelining, as OAuth clients and
// JWKS fetchers behave).
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

/** One timed (or fixed-count, with `amount`) run; resolves with autocannon's result. */
export function load(opts) {
  return new Promise((resolve, reject) => {
    const inst = autocannon(opts, (err, res) => (err ? reject(err) : resolve(res)));
    autocannon.track(inst, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}

/**
 * A run whose every request depends on the previous answer on its connection: the
 * refresh_token grant rotates the token, so each of `connections` loops takes one refresh
 * token from `pool` and then presents the one it was last given. (autocannon cannot carry
 * state from one request to the next on a connection: it resets the request context after
 * each pass over its request list.) Each loop finishes its request in flight when the time
 * is up, so no chain is left spent-but-unread; a pool still serves one run only, because a
 * refresh token, once used, is spent. Returns the fields of autocannon's result that
 * `summarize` reads.
 */
export async function rotatingLoad({ url, headers, connections, duration }, { pool, body }) {
  if (pool.length < connections) throw new Error(`refresh pool has ${pool.length} tokens for ${connections} connections`);
  const c = keepAliveClient({ url, method: 'POST', headers, connections });
  const end = performance.now() + duration * 1000;
  await Promise.all(
    pool.slice(0, connections).map(async (first) => {
      let token = first;
      while (token && performance.now() < end) {
        const text = await c.send(body(token));
        token = text === null ? null : JSON.parse(text).refresh_token;
      }
    }),
  );
  return c.result(Math.round);
}

/**
 * A run whose every request needs headers of its own: DPoP, where each request carries a
 * fresh proof (a new `jti`, the current `iat`), made by `headers()` just before it is sent
 * (signing the proof is the client's cost, in this process, as it would be in a real client).
 * Same loop shape as rotatingLoad.
 */
export async function freshHeaderLoad({ url, method = 'POST', headers = {}, body = '', connections, duration }, fresh) {
  const c = keepAliveClient({ url, method, headers, connections });
  const end = performance.now() + duration * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) await c.send(body, fresh());
    }),
  );
  return c.result(Math.round);
}

/**
 * `connections` keep-alive connections to one endpoint (node:http; one request in flight on
 * each), every answer's latency and status counted. `send` resolves with a 200's body, or null.
 */
function keepAliveClient({ url, method, headers = {}, connections }) {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies = [];
  const counts = { ok: 0, non2xx: 0, errors: 0 };
  const started = performance.now();
  const send = (payload, extra = {}) =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const req = http.request(
        { agent, host: target.hostname, port: target.port, path: target.pathname, method, headers: { ...headers, ...extra, 'content-length': Buffer.byteLength(payload) } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (text += d));
          res.on('end', () => {
            latencies.push(performance.now() - t0);
            if (res.statusCode === 200) counts.ok++;
            else counts.non2xx++;
            resolve(res.statusCode === 200 ? text : null);
          });
        },
      );
      req.on('error', () => {
        counts.errors++;
        resolve(null);
      });
      req.end(payload);
    });
  /** The fields of autocannon's result that `summarize` reads; `round` formats the percentiles. */
  const result = (round) => {
    const seconds = (performance.now() - started) / 1000;
    agent.destroy();
    latencies.sort((a, b) => a - b);
    const pct = (p) => (latencies.length ? round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]) : null);
    const { ok, non2xx, errors } = counts;
    return { requests: { average: (ok + non2xx) / seconds }, latency: { p50: pct(0.5), p99: pct(0.99) }, '2xx': ok, non2xx, errors, timeouts: 0 };
  };
  return { send, result };
}

/**
 * A closed loop whose every pass is a small program of its own: a hosted sign-in (several
 * pages, cookies, a redirect), or the redemption of the next code of a pool minted before the
 * run. Each of `connections` loops runs `pass(i)` until the time is up; a pass resolves true (a
 * success), false (an answer other than the one wanted) or null (nothing left to do: the loop
 * ends early, and the rate is taken over the time the loops really ran). Each pass is timed
 * whole. Returns the fields of autocannon's result that `summarize` reads.
 */
export async function loopLoad({ connections, duration }, pass) {
  const t = tally();
  const end = performance.now() + duration * 1000;
  await Promise.all(
    Array.from({ length: connections }, async (_, i) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        let ok;
        try {
          ok = await pass(i);
        } catch {
          t.counts.errors++;
          continue;
        }
        if (ok === null) return;
        t.record(performance.now() - t0, ok);
      }
    }),
  );
  return t.result(Math.round);
}

/** Latencies and outcomes of a hand-made load, and the summary shape autocannon's result has. */
function tally() {
  const latencies = [];
  const counts = { ok: 0, non2xx: 0, errors: 0 };
  const started = performance.now();
  return {
    counts,
    record(ms, ok) {
      latencies.push(ms);
      if (ok) counts.ok++;
      else counts.non2xx++;
    },
    /** The fields of autocannon's result that `summarize` reads; `round` formats the percentiles. */
    result(round) {
      const seconds = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      const pct = (p) => (latencies.length ? round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]) : null);
      const { ok, non2xx, errors } = counts;
      return { requests: { average: (ok + non2xx) / seconds }, latency: { p50: pct(0.5), p99: pct(0.99) }, '2xx': ok, non2xx, errors, timeouts: 0 };
    },
  };
}

/**
 * A latency run at a fixed offered rate: `connections` keep-alive loops share `rate`
 * requests/s, each waiting for its next slot (a late answer delays only its own loop's next
 * send, so the rate is an upper bound), each latency timed to the microsecond (autocannon's
 * histogram keeps whole milliseconds). For the decision endpoint's p99, which at saturation
 * is only queueing (connections ÷ throughput).
 */
export async function pacedLoad({ url, method = 'POST', headers = {}, body = '', connections, duration, rate }) {
  const c = keepAliveClient({ url, method, headers, connections });
  const interval = (1000 * connections) / rate;
  const t0 = performance.now();
  const end = t0 + duration * 1000;
  await Promise.all(
    Array.from({ length: connections }, async (_, i) => {
      let next = t0 + (i * interval) / connections;
      while (next < end) {
        const wait = next - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        await c.send(body);
        next += interval;
      }
    }),
  );
  return c.result((ms) => Number(ms.toFixed(2)));
}

/** What the report needs of a run. */
export function summarize(res) {
  return {
    rps: res.requests.average,
    p50: res.latency.p50,
    p99: res.latency.p99,
    ok: res['2xx'],
    errors: res.errors + res.timeouts + res.non2xx,
    requests: res['2xx'] + res.non2xx,
  };
}

export function median(xs) {
  const s = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
