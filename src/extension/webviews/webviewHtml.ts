/**
 * HTML shell for every webview: a strict Content-Security-Policy with a per-load nonce, no remote content,
 * scripts and styles only from the extension's built webview folder. Content is rendered by the webview app
 * from typed messages (textContent), so no user string is ever put into this HTML.
 */
import * as crypto from 'node:crypto';
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

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, app: string, title: string): string {
  const root = webviewRoot(extensionUri);
  const n = nonce();
  const script = webview.asWebviewUri(vscode.Uri.joinPath(root, `${app}.js`));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(root, `${app}.css`));
  const codicons = webview.asWebviewUri(vscode.Uri.joinPath(root, 'codicons', 'codicon.css'));
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource} 'nonce-${n}'`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${n}'`,
  ].join('; ');
  const safeTitle = title.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${codicons}" nonce="${n}">
<link rel="stylesheet" href="${style}" nonce="${n}">
<title>${safeTitle}</title>
</head>
<body>
<div id="app" data-app="${app}"><p class="loading">Loading…</p></div>
<script nonce="${n}" src="${script}"></script>
</body>
</html>`;
}
