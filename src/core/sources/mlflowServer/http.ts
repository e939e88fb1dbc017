/**
 * The HTTP exchange with an MLflow tracking server (node:http/https, no dependency): auth headers, a per-request
 * timeout, AbortSignal, bounded retries with exponential backoff and full jitter on 429/5xx and reset connections
 * (Retry-After honoured), and one-line `SourceError`s that name the URL (never its credentials), the HTTP status and
 * the server's own `message`.
 *
 * node:http rather than the global fetch: fetch cannot skip TLS verification (MLFLOW_TRACKING_INSECURE_TLS) without
 * the undici package, and http gives a plain keep-alive agent that `close()` can destroy.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { AbortError } from '../../util/errors';
import { SourceError, type SourceErrorCode } from '../types';
import {
  DEFAULT_MAX_ARTIFACT_BYTES,
  DEFAULT_RETRIES,
  DEFAULT_RETRY_BASE_MS,
  DEFAULT_RETRY_MAX_DELAY_MS,
  DEFAULT_TIMEOUT_MS,
  parseServerUri,
  redactUrl,
  type MlflowServerOptions,
  type ServerAddress,
} from './auth';
import { proxyAgent, proxyFor } from './proxy';

export interface CallOptions {
  signal?: AbortSignal;
}

export interface RequestSpec extends CallOptions {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the server's base (its prefix), starting with '/'. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Bytes sent as they are (an artifact upload), instead of `body` as JSON. */
  raw?: Uint8Array;
  /** Largest body accepted; default 256 MiB. */
  maxBytes?: number;
  /**
   * false for a request that must not be sent twice (it creates something): it is retried only after a 429 (the server
   * did not take it), never after a 5xx or a reset connection, which may come after the server acted on it.
   */
  idempotent?: boolean;
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Connection-level failures worth another attempt: the server or a proxy dropped a (kept-alive) connection. */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET']);
const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
const NOT_HANDLED_STATUSES = new Set([429]);

class TimeoutError extends Error {}
class TooLargeError extends Error {}

export class MlflowHttp {
  readonly address: ServerAddress;
  private readonly agent: http.Agent;
  private readonly auth?: string;
  private readonly secrets: string[];
  private readonly closed = new AbortController();
  readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxDelayMs: number;
  readonly maxArtifactBytes: number;
  /** The proxy requests go through (credentials hidden), if any. */
  readonly proxy: string | undefined;

  constructor(
    uri: string,
    private readonly options: MlflowServerOptions = {},
  ) {
    this.address = parseServerUri(uri);
    const username = options.username ?? this.address.username;
    const password = options.password ?? this.address.password;
    if (options.token) this.auth = `Bearer ${options.token}`;
    else if (username !== undefined || password !== undefined) this.auth = `Basic ${Buffer.from(`${username ?? ''}:${password ?? ''}`).toString('base64')}`;
    this.secrets = [options.token, password, this.auth].filter((s): s is string => !!s && s.length >= 3);
    const https_ = this.address.base.protocol === 'https:';
    // Through the proxy the environment names for this server (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), else directly.
    const proxy = options.proxy === null ? undefined : (options.proxy ?? proxyFor(this.address.base, process.env));
    this.proxy = proxy ? redactUrl(proxy) : undefined;
    if (proxy) this.agent = proxyAgent(this.address.base, proxy, { rejectUnauthorized: !options.insecureTls });
    else this.agent = https_ ? new https.Agent({ keepAlive: true, maxSockets: 6, rejectUnauthorized: !options.insecureTls }) : new http.Agent({ keepAlive: true, maxSockets: 6 });
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retries = Math.max(0, options.retries ?? DEFAULT_RETRIES);
    this.retryBaseMs = options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
    this.retryMaxDelayMs = options.retryMaxDelayMs ?? DEFAULT_RETRY_MAX_DELAY_MS;
    this.maxArtifactBytes = options.maxArtifactBytes ?? DEFAULT_MAX_ARTIFACT_BYTES;
  }

  /** Aborts requests in flight and closes kept-alive sockets. */
  close(): void {
    this.closed.abort();
    this.agent.destroy();
  }

  /** A text with every credential we hold and every URL userinfo replaced. */
  redact(text: string): string {
    let t = redactUrl(text);
    for (const s of this.secrets) t = t.split(s).join('***');
    return t;
  }

  log(line: string): void {
    this.options.log?.(this.redact(line));
  }

  /** `http://host:port/prefix/api/2.0/mlflow/runs/get` (no query: it is where, not what). */
  where(path: string): string {
    return this.address.uri + path;
  }

  /** GET/POST to `/api/2.0/mlflow/<endpoint>`, JSON both ways; a SourceError for anything but 2xx JSON. */
  async json(spec: RequestSpec): Promise<Record<string, unknown>> {
    const res = await this.request(spec);
    const text = res.body.toString('utf8');
    let value: unknown;
    try {
      value = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      throw this.error('server', spec.path, `HTTP ${res.status} answered ${describeBody(res)} instead of JSON: not an MLflow REST API at this URL?`, res.status);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw this.error('server', spec.path, `HTTP ${res.status} answered JSON that is not an object: not an MLflow REST API at this URL?`, res.status);
    }
    return value as Record<string, unknown>;
  }

  /** Bytes of a 2xx answer; a SourceError otherwise. */
  async bytes(spec: RequestSpec): Promise<Buffer> {
    return (await this.request(spec)).body;
  }

  error(code: SourceErrorCode, path: string, detail: string, status?: number): SourceError {
    const where = this.where(path);
    return new SourceError(code, this.redact(oneLine(`MLflow server ${where}: ${detail}`)), where, status);
  }

  /** One request with retries; resolves with a 2xx response only. */
  async request(spec: RequestSpec): Promise<RawResponse> {
    const url = new URL(this.address.base.href.replace(/\/$/, '') + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) url.searchParams.append(k, String(v));
    const body = spec.raw !== undefined ? Buffer.from(spec.raw.buffer, spec.raw.byteOffset, spec.raw.byteLength) : spec.body === undefined ? undefined : Buffer.from(JSON.stringify(spec.body), 'utf8');
    const retries = spec.idempotent === false ? 0 : this.retries;
    for (let attempt = 0; ; attempt++) {
      this.checkAborted(spec.signal);
      let res: RawResponse;
      try {
        res = await this.once(url, spec, body);
      } catch (e) {
        if (e instanceof AbortError) throw e;
        if (e instanceof TimeoutError) throw this.error('unreachable', spec.path, `no answer within ${formatMs(this.timeoutMs)} (timeout)`);
        if (e instanceof TooLargeError) throw this.error('server', spec.path, e.message);
        const code = (e as NodeJS.ErrnoException).code ?? '';
        if (RESET_CODES.has(code) && attempt < retries) {
          const delay = this.backoff(attempt);
          this.log(`MLflow server ${this.where(spec.path)}: ${connectionProblem(e)}; retry ${attempt + 1}/${retries} in ${delay} ms`);
          await this.sleep(delay, spec.signal);
          continue;
        }
        throw this.error('unreachable', spec.path, `unreachable (${connectionProblem(e)}${this.proxy ? `; through the proxy ${this.proxy} (HTTPS_PROXY/HTTP_PROXY; NO_PROXY to go direct)` : ''})`);
      }
      if (res.status >= 200 && res.status < 300) return res;
      // 429 says the request was not handled: another attempt is safe even for a write that is not idempotent (a 5xx
      // may come after the server acted on it).
      if ((spec.idempotent === false ? NOT_HANDLED_STATUSES : RETRY_STATUSES).has(res.status) && attempt < this.retries) {
        const after = retryAfterMs(res.headers['retry-after']);
        if (after !== undefined && after > this.retryMaxDelayMs) {
          throw this.error('server', spec.path, `HTTP ${res.status}${serverDetail(res)}; the server asks to retry after ${formatMs(after)}`, res.status);
        }
        const delay = after ?? this.backoff(attempt);
        this.log(`MLflow server ${this.where(spec.path)}: HTTP ${res.status}; retry ${attempt + 1}/${this.retries} in ${delay} ms`);
        await this.sleep(delay, spec.signal);
        continue;
      }
      throw this.statusError(spec.path, res, attempt);
    }
  }

  private statusError(path: string, res: RawResponse, attempt: number): SourceError {
    const { errorCode } = parseServerError(res);
    const detail = `HTTP ${res.status}${serverDetail(res)}`;
    if (res.status === 401 || res.status === 403) {
      const hint = this.auth ? 'check the credentials' : 'the server needs credentials (MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD)';
      return this.error('unauthorized', path, `${detail} (${hint})`, res.status);
    }
    if (res.status === 404 || errorCode === 'RESOURCE_DOES_NOT_EXIST') {
      if (errorCode) return this.error('not-found', path, detail, res.status);
      return this.error('server', path, `${detail}: not an MLflow REST API at this URL (check the prefix)?`, res.status);
    }
    if (res.status === 400 || errorCode === 'INVALID_PARAMETER_VALUE') return this.error('invalid', path, detail, res.status);
    if (res.status >= 300 && res.status < 400) {
      // Not followed: a redirect (http → https, a login page) would send the credentials elsewhere.
      const location = res.headers.location ? ` to ${String(res.headers.location).split('?')[0]}` : '';
      return this.error('server', path, `HTTP ${res.status} redirect${location} (not followed: use the URL it points to)`, res.status);
    }
    const retried = RETRY_STATUSES.has(res.status) && attempt > 0 ? ` after ${attempt + 1} attempts` : '';
    return this.error('server', path, `${detail}${retried}`, res.status);
  }

  private backoff(attempt: number): number {
    const cap = Math.min(this.retryMaxDelayMs, this.retryBaseMs * 2 ** attempt);
    return Math.round(Math.random() * cap);
  }

  private checkAborted(signal?: AbortSignal): void {
    if (signal?.aborted) throw new AbortError('MLflow request cancelled');
    if (this.closed.signal.aborted) throw new AbortError('MLflow source closed');
  }

  private sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const signals = [signal, this.closed.signal].filter((s): s is AbortSignal => !!s);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(new AbortError('MLflow request cancelled'));
      };
      const timer = setTimeout(() => {
        for (const s of signals) s.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
    });
  }

  private once(url: URL, spec: RequestSpec, body: Buffer | undefined): Promise<RawResponse> {
    const headers: http.OutgoingHttpHeaders = { Accept: 'application/json, */*', 'User-Agent': 'mlops-workbench' };
    if (this.auth) headers.Authorization = this.auth;
    if (body) {
      headers['Content-Type'] = spec.raw !== undefined ? 'application/octet-stream' : 'application/json';
      headers['Content-Length'] = body.length;
    }
    const maxBytes = spec.maxBytes ?? DEFAULT_MAX_ARTIFACT_BYTES;
    const lib = url.protocol === 'https:' ? https : http;
    return new Promise<RawResponse>((resolve, reject) => {
      let settled = false;
      const signals = [spec.signal, this.closed.signal].filter((s): s is AbortSignal => !!s);
      const finish = (err: Error | undefined, res?: RawResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        for (const s of signals) s.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(res!);
      };
      const req = lib.request(url, { method: spec.method, headers, agent: this.agent });
      const onAbort = (): void => {
        const e = new AbortError('MLflow request cancelled');
        req.destroy(e);
        finish(e);
      };
      for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => {
        const e = new TimeoutError('timeout');
        req.destroy(e);
        finish(e);
      }, this.timeoutMs);
      req.on('error', (e) => finish(e));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) {
            const e = new TooLargeError(`the answer is larger than ${maxBytes} bytes (limit)`);
            req.destroy(e);
            finish(e);
            return;
          }
          chunks.push(c);
        });
        res.on('error', (e) => finish(e));
        res.on('aborted', () => finish(Object.assign(new Error('connection closed during the answer'), { code: 'ECONNRESET' })));
        res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.end(body);
    });
  }
}

/** Retry-After as ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

function parseServerError(res: RawResponse): { errorCode?: string; message?: string } {
  const text = res.body.subarray(0, 64 * 1024).toString('utf8');
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      return { errorCode: typeof o.error_code === 'string' ? o.error_code : undefined, message: typeof o.message === 'string' ? o.message : undefined };
    }
  } catch {
    // not JSON: a proxy's or a web server's page
  }
  const title = /<title>([^<]*)<\/title>/i.exec(text)?.[1] ?? /<h1>([^<]*)<\/h1>/i.exec(text)?.[1];
  if (title) return { message: title };
  const line = text.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('<'));
  return { message: line };
}

/** ` RESOURCE_DOES_NOT_EXIST: Run with id=… not found`, or '' when the server said nothing readable. */
function serverDetail(res: RawResponse): string {
  const { errorCode, message } = parseServerError(res);
  const msg = message ? truncate(oneLine(message), 300) : '';
  return `${errorCode ? ` ${errorCode}` : ''}${msg ? `: ${msg}` : ''}`;
}

function describeBody(res: RawResponse): string {
  const type = String(res.headers['content-type'] ?? 'no content type').split(';')[0];
  return `${type} (${res.body.length} bytes)`;
}

function connectionProblem(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host not reachable';
    default:
      if (err.code && /CERT|TLS|SSL|SELF_SIGNED/.test(err.code)) return `TLS: ${err.message} (MLFLOW_TRACKING_INSECURE_TLS=true skips the check)`;
      return err.code ? `${err.code}: ${err.message}` : err.message;
  }
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}
