/**
 * Anything the webview's Content-Security-Policy blocks is counted on the app element (data-csp-violations), where
 * the tests (and curious users, in the webview developer tools) can see it, and logged to the console.
 */
export function countCspViolations(app: HTMLElement): void {
  let count = 0;
  document.addEventListener('securitypolicyviolation', (e) => {
    app.dataset.cspViolations = String(++count);
    console.warn(`CSP blocked ${e.blockedURI || 'inline content'} (${e.violatedDirective})`);
  });
}
