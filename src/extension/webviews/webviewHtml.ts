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

/**
 * The app's script and styles go inline into the document, each carrying the nonce, instead of being loaded with
 * <script src> / <link href>. Why: in VS Code for the Web (and Codespaces, remote hosts) every webview resource is
 * fetched through the webview's service worker and a round trip to the extension host; for the compare bundle that
 * was 0.75–1.1 s of a 1.5 s open (measured by the E2E's phase timings), more than everything else together. Inline,
 * the document arrives with its code in one message. The CSP stays as strict: scripts only with the nonce (no
 * 'unsafe-inline'), no remote origin; the inlined text is our own built bundle, never a user string, and any
 * `</script` or `</style` in it is escaped so it cannot end its element early. The codicon stylesheet stays a
 * link (vscode-icon copies its href and nonce into each icon's shadow root, by the id it has here), placed after
 * the script so that it never holds the script back.
 */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, app: string, title: string): string {
  const root = webviewRoot(extensionUri);
  const n = nonce();
  const uri = (...parts: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(root, ...parts)).toString();
  const file = (...parts: string[]) => vscode.Uri.joinPath(root, ...parts).fsPath;
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource} 'nonce-${n}'`,
    `font-src ${webview.cspSource}`,
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
<link id="vscode-codicon-stylesheet" rel="stylesheet" href="${uri('codicons', 'codicon.css')}" nonce="${n}">
</body>
</html>`;
}
