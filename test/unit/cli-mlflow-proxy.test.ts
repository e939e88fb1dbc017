/**
 * A tracking server reached through an HTTP proxy, as in a company network: the server's name (`mlflow.team.test`)
 * resolves only at the proxy, which forwards to a real MLflow server on 127.0.0.1. The `mlops` CLI reads the proxy
 * from HTTP_PROXY (as curl and MLflow's Python client do), goes direct for NO_PROXY hosts and loopback, and says which
 * proxy it went through when the proxy is down. Plus the environment rules of proxyFor on their own.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { proxyFor } from '../../src/core/sources/mlflowServer/proxy';
import { skipUnlessMlflow } from '../mlflow/env';
import { freePort, startMlflowServer, type MlflowServer } from '../mlflow/server';
import { mlops } from './cli-mlflow-helpers';

const HOST = 'mlflow.team.test';

/** A forward proxy (absolute-URI requests) that knows where HOST is; it records what it forwarded. */
async function forwardProxy(serverPort: number): Promise<{ url: string; seen: string[]; close: () => Promise<void> }> {
  const seen: string[] = [];
  const proxy = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const target = new URL(req.url ?? '/');
    if (target.hostname !== HOST) {
      res.writeHead(502).end(`unknown host ${target.hostname}`);
      return;
    }
    const up = http.request({ host: '127.0.0.1', port: serverPort, path: target.pathname + target.search, method: req.method, headers: { ...req.headers, host: `127.0.0.1:${serverPort}` } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((r) => {
      proxy.closeAllConnections();
      proxy.close(() => r());
    }),
  };
}

describe('proxyFor: the proxy the environment names for a server', () => {
  const env = { HTTPS_PROXY: 'http://proxy.corp:3128', HTTP_PROXY: 'proxy.corp:8080', NO_PROXY: 'internal.corp, .lab.corp,build:8443' };
  it('by scheme, with a bare host:port taken as http://', () => {
    assert.equal(proxyFor(new URL('https://mlflow.example.com'), env), 'http://proxy.corp:3128');
    assert.equal(proxyFor(new URL('http://mlflow.example.com:5000'), env), 'http://proxy.corp:8080');
    assert.equal(proxyFor(new URL('http://x.example.com'), { http_proxy: 'http://lower:1' }), 'http://lower:1', 'lower-case names too');
    assert.equal(proxyFor(new URL('https://x.example.com'), { ALL_PROXY: 'http://all:1' }), 'http://all:1');
    assert.equal(proxyFor(new URL('https://x.example.com'), {}), undefined);
  });
  it('NO_PROXY hosts, their subdomains, a port-specific entry, * and loopback go direct', () => {
    assert.equal(proxyFor(new URL('https://internal.corp'), env), undefined);
    assert.equal(proxyFor(new URL('https://mlflow.internal.corp'), env), undefined, 'a subdomain of a listed domain');
    assert.equal(proxyFor(new URL('https://notinternal.corp'), env), 'http://proxy.corp:3128', 'not a suffix match on the name');
    assert.equal(proxyFor(new URL('https://gpu.lab.corp'), env), undefined);
    assert.equal(proxyFor(new URL('https://build:8443'), env), undefined);
    assert.equal(proxyFor(new URL('https://build:9443'), env), 'http://proxy.corp:3128', 'another port of a host:port entry');
    assert.equal(proxyFor(new URL('https://anything'), { ...env, NO_PROXY: '*' }), undefined);
    for (const u of ['http://127.0.0.1:5000', 'http://localhost:5000', 'http://[::1]:5000']) assert.equal(proxyFor(new URL(u), env), undefined, u);
  });
});

describe('mlops CLI through an HTTP proxy to a real tracking server', { skip: skipUnlessMlflow() }, () => {
  let server: MlflowServer;
  let proxy: Awaited<ReturnType<typeof forwardProxy>>;
  let store: string;

  before(async () => {
    server = await startMlflowServer();
    proxy = await forwardProxy(Number(new URL(server.url).port));
    store = `http://${HOST}:${new URL(server.url).port}`;
  });
  after(async () => {
    await proxy?.close();
    await server?.stop();
  });

  it('reads the server through HTTP_PROXY (the name resolves only at the proxy)', async () => {
    const r = await mlops(['experiments', 'list', '--store', store, '--json'], { env: { HTTP_PROXY: proxy.url } });
    assert.equal(r.code, 0, r.err);
    assert.ok((JSON.parse(r.out) as { name: string }[]).some((e) => e.name === 'Default'), r.out);
    assert.ok(proxy.seen.some((l) => l.startsWith(`GET ${store}/api/2.0/mlflow/experiments/search`)), proxy.seen.join('\n'));
  });

  it('goes direct for a NO_PROXY host: the name does not resolve here, and the error says so in one line', async () => {
    const before = proxy.seen.length;
    const r = await mlops(['experiments', 'list', '--store', store], { env: { HTTP_PROXY: proxy.url, NO_PROXY: 'team.test' } });
    assert.equal(r.code, 1);
    assert.equal(proxy.seen.length, before, 'nothing went through the proxy');
    assert.match(r.err, /mlflow\.team\.test.*host not found/);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
  });

  it('a proxy that is down: one line naming the proxy and the variables', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const r = await mlops(['experiments', 'list', '--store', store], { env: { HTTP_PROXY: dead } });
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`through the proxy ${dead.replace(/[.:/]/g, '\\$&')} \\(HTTPS_PROXY/HTTP_PROXY; NO_PROXY to go direct\\)`), r.err);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
  });
});
