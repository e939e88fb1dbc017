/**
 * The HTTP(S) proxy for a tracking server, from the environment as curl and Python's requests (so MLflow's own
 * client) read it: HTTPS_PROXY / https_proxy for https:// servers, HTTP_PROXY / http_proxy for http:// ones, ALL_PROXY
 * for either; NO_PROXY / no_proxy lists hosts reached directly (`*`, `host`, `.domain` or `domain` for it and its
 * subdomains, `host:port`, IPs). Loopback (localhost, 127.x, ::1) is always reached directly: a proxy elsewhere cannot
 * reach this machine's loopback.
 *
 * The agents are https-proxy-agent (a CONNECT tunnel, then TLS to the server) and http-proxy-agent (absolute-URI
 * requests), both pure JavaScript and kept by the same authors as agent-base; not hand-written.
 */
import type * as http from 'node:http';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[?::1\]?)$/i;

/** The proxy URL to use for `target`, or undefined for a direct connection. */
export function proxyFor(target: URL, env: Record<string, string | undefined>): string | undefined {
  const host = target.hostname.toLowerCase();
  if (LOOPBACK.test(host)) return undefined;
  const get = (k: string) => env[k] ?? env[k.toLowerCase()];
  const proxy = (target.protocol === 'https:' ? get('HTTPS_PROXY') : get('HTTP_PROXY')) || get('ALL_PROXY');
  if (!proxy?.trim()) return undefined;
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  for (const raw of (get('NO_PROXY') ?? '').split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return undefined;
    const [name, entryPort] = entry.startsWith('[') ? [entry.slice(0, entry.indexOf(']') + 1), entry.split(']:')[1]] : entry.split(':');
    if (entryPort && entryPort !== port) continue;
    const domain = name.replace(/^\*?\./, '');
    if (host === domain || host.endsWith(`.${domain}`)) return undefined;
  }
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy.trim() : `http://${proxy.trim()}`;
}

/** A keep-alive agent that goes through `proxy` to `target`'s scheme. */
export function proxyAgent(target: URL, proxy: string, tls: { rejectUnauthorized: boolean }): http.Agent {
  return target.protocol === 'https:'
    ? new HttpsProxyAgent(proxy, { keepAlive: true, maxSockets: 6, rejectUnauthorized: tls.rejectUnauthorized })
    : new HttpProxyAgent(proxy, { keepAlive: true, maxSockets: 6 });
}
