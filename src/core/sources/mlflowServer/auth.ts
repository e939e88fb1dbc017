/**
 * Connection options of an MLflow tracking server: credentials passed in by the caller (the extension keeps them in
 * SecretStorage, the CLI reads the environment with `mlflowServerOptionsFromEnv`), TLS, timeouts and retries.
 * Credentials never appear in messages: `redactUrl` removes userinfo from every URL we show.
 */
import { SourceError } from '../types';

export interface MlflowServerOptions {
  /** `Authorization: Bearer <token>` (MLFLOW_TRACKING_TOKEN). Wins over username/password. */
  token?: string;
  /** Basic auth (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD); also taken from `http://user:pass@host`. */
  username?: string;
  password?: string;
  /** Do not verify the server's TLS certificate (MLFLOW_TRACKING_INSECURE_TLS=true). */
  insecureTls?: boolean;
  /** Per request, connect to last byte. Default 15 000 ms. */
  timeoutMs?: number;
  /** Retries after a 429, 500, 502, 503, 504 or a reset connection. Default 3 (4 attempts). */
  retries?: number;
  /** First backoff delay; doubles per retry, full jitter. Default 250 ms. */
  retryBaseMs?: number;
  /** Largest backoff delay and largest Retry-After we wait for (a longer one fails at once). Default 10 000 ms. */
  retryMaxDelayMs?: number;
  /** Largest artifact readArtifact downloads. Default 256 MiB. */
  maxArtifactBytes?: number;
  /** An HTTP(S) proxy URL; null: none; default: the environment's (HTTPS_PROXY, HTTP_PROXY, NO_PROXY: proxy.ts). */
  proxy?: string | null;
  /** Diagnostics (retries, filter fallbacks), already free of credentials. */
  log?: (line: string) => void;
}

export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_RETRIES = 3;
export const DEFAULT_RETRY_BASE_MS = 250;
export const DEFAULT_RETRY_MAX_DELAY_MS = 10_000;
export const DEFAULT_MAX_ARTIFACT_BYTES = 256 * 1024 * 1024;

/**
 * The MLflow client's environment variables, read from `env` (pass `process.env` in the CLI): MLFLOW_TRACKING_TOKEN,
 * MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD, MLFLOW_TRACKING_INSECURE_TLS (true/1/yes, as MLflow reads it).
 */
export function mlflowServerOptionsFromEnv(env: Record<string, string | undefined>): MlflowServerOptions {
  const o: MlflowServerOptions = {};
  if (env.MLFLOW_TRACKING_TOKEN) o.token = env.MLFLOW_TRACKING_TOKEN;
  if (env.MLFLOW_TRACKING_USERNAME) o.username = env.MLFLOW_TRACKING_USERNAME;
  if (env.MLFLOW_TRACKING_PASSWORD) o.password = env.MLFLOW_TRACKING_PASSWORD;
  const insecure = (env.MLFLOW_TRACKING_INSECURE_TLS ?? '').trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(insecure)) o.insecureTls = true;
  return o;
}

/** `http://user:secret@host/x` → `http://***@host/x`, anywhere in a text. */
export function redactUrl(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1***@');
}

export interface ServerAddress {
  /** `http(s)://host[:port][/prefix]`, no credentials, query, fragment or trailing slash. */
  uri: string;
  /** `host[:port][/prefix]` */
  label: string;
  base: URL;
  /** Credentials found in the URL's userinfo (decoded). */
  username?: string;
  password?: string;
}

export function parseServerUri(raw: string): ServerAddress {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new SourceError('invalid', `Not a tracking server URL: ${redactUrl(raw.trim()).slice(0, 200)} (use http(s)://host[:port][/prefix])`, redactUrl(raw));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SourceError('invalid', `Not a tracking server URL: ${redactUrl(raw.trim()).slice(0, 200)} (use http(s)://host[:port][/prefix])`, redactUrl(raw));
  }
  const username = url.username ? decodeURIComponent(url.username) : undefined;
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  const prefix = url.pathname.replace(/\/+$/, '');
  const uri = url.origin + prefix;
  return { uri, label: url.host + prefix, base: new URL(uri), username, password };
}
