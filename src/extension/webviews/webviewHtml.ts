/**
 * HTML shell for every webview: a strict Content-Security-Policy with a per-load nonce, no remote content,
 * scripts and styles only from the extension's built webview folder (inlined with the nonce, see webviewHtml). Content is rendered by the webview app
 * from typed messages (textContent), so no user string is ever put into this HTML.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as vscode from 'vscode';

export function webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    localResourceRoots: [webviewRoot(extensionUri)],
    retainContextWhenHidden: false,
  };
}

export function nonce(): string {
  return crypto.randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

/** Built asset text by path, kept while the file's mtime is unchanged (a rebuild in watch mode is picked up). */
const assetCache = new Map<string, { mtimeMs: number; text: string }>();

function readAsset(file: string): string | undefined {
  try {
    const { mtimeMs } = fs.statSync(file);
    const hit = assetCache.get(file);
    if (hit && hit.mtimeMs === mtimeMs) return hit.text;
    const text = fs.readFileSync(file, 'utf8');
    assetCache.set(file, { mtimeMs, text });
    return text;
  } catch {
    return undefined;
  }
}

let codiconCache: { key: string; fontFace: string; rulesHref: string } | undefined;

/** Codicons for a document: @font-face with the font as a data: URL, and the class rules as a data: stylesheet URL. */
function codicons(root: vscode.Uri): { fontFace: string; rulesHref: string } | undefined {
  const css = readAsset(vscode.Uri.joinPath(root, 'codicons', 'codicon.css').fsPath);
  const fontFile = vscode.Uri.joinPath(root, 'codicons', 'codicon.ttf').fsPath;
  if (css === undefined) return undefined;
  let key: string;
  try {
    key = `${css.length}:${fs.statSync(fontFile).mtimeMs}`;
  } catch {
    return undefined;
  }
  if (codiconCache?.key === key) return codiconCache;
  const font = fs.readFileSync(fontFile).toString('base64');
  const fontFace = `@font-face{font-family:"codicon";font-display:block;src:url("data:font/ttf;base64,${font}") format("truetype")}`;
  const rules = css.replace(/@font-face\s*\{[^}]*\}/g, '');
  codiconCache = { key, fontFace, rulesHref: `data:text/css;base64,${Buffer.from(rules).toString('base64')}` };
  return codiconCache;
}

/**
 * The app's script and styles go inline into the document, each carrying the nonce, instead of being loaded with
 * <script src> / <link href>. Why: in VS Code for the Web (and Codespaces, remote hosts) every webview resource is
 * fetched through the webview's service worker and a round trip to the extension host; for the compare bundle that
 * was 0.75–1.1 s of a 1.5 s open (measured by the E2E's phase timings), more than everything else together. Inline,
 * the document arrives with its code in one message. The CSP stays as strict: scripts only with the nonce (no
 * 'unsafe-inline'), no remote origin; the inlined text is our own built bundle, never a user string, and any
 * `</script` or `</style` in it is escaped so it cannot end its element early.
 *
 * The codicons come inline too, so that a webview fetches nothing at all through the service worker: a webview
 * closed while one of its fetches was in flight left that fetch pending in VS Code's webview service worker for
 * its 30 s timeout, and no new webview could start until then (the new worker cannot take over while the old one
 * has a fetch in flight) — seen as blank Compare tabs for ~30 s after closing one quickly. The font is a data: URL
 * in an @font-face placed after the script, so that its 170 KB do not hold the script back (hence `font-src data:`;
 * fonts cannot run script); the class rules are a data: stylesheet URL on the link that vscode-icon looks up by its
 * id and copies, with its nonce, into each icon's shadow root (allowed by that nonce, not by the URL).
 */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, app: string, title: string): string {
  const root = webviewRoot(extensionUri);
  const n = nonce();
  const uri = (...parts: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(root, ...parts)).toString();
  const file = (...parts: string[]) => vscode.Uri.joinPath(root, ...parts).fsPath;
  const icons = codicons(root);
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `style-src 'nonce-${n}'`,
    // Without the inline codicons (not built), the font comes from the webview folder.
    icons ? 'font-src data:' : `font-src ${webview.cspSource}`,
    `script-src 'nonce-${n}'`,
  ].join('; ');
  const safeTitle = title.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  // Source maps stay files next to the bundles; their URLs become absolute webview URIs.
  const mapUrl = (text: string, base: string) => text.replace(/(sourceMappingURL=)([\w.-]+\.map)/, (_m, k: string, f: string) => `${k}${uri(...base.split('/').slice(0, -1), f)}`);
  const appCss = readAsset(file(`${app}.css`));
  const appJs = readAsset(file(`${app}.js`));
  const style = (css: string | undefined, base: string) =>
    css === undefined ? `<link rel="stylesheet" href="${uri(...base.split('/'))}" nonce="${n}">` : `<style nonce="${n}">${mapUrl(css, base).replace(/<\/(style)/gi, '<\\/$1')}</style>`;
  const script = appJs === undefined ? `<script nonce="${n}" src="${uri(`${app}.js`)}"></script>` : `<script nonce="${n}">${mapUrl(appJs, `${app}.js`).replace(/<\/(script)/gi, '<\\/$1')}</script>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${style(appCss, `${app}.css`)}
<title>${safeTitle}</title>
</head>
<body>
<div id="app" data-app="${app}"><p class="loading">Loading…</p></div>
${script}
<link id="vscode-codicon-stylesheet" rel="stylesheet" href="${icons?.rulesHref ?? uri('codicons', 'codicon.css')}" nonce="${n}">
${icons ? `<style nonce="${n}">${icons.fontFace}</style>` : ''}
</body>
</html>`;
}
