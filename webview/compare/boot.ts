/**
 * Imported first by main.ts: the shared boot (webview/common/boot.ts) posts `ready` before the libraries are
 * evaluated; this types it with the compare messages.
 */
import { type Boot as CommonBoot, boot as commonBoot } from '../common/boot';
import type { CompareFromWebview, CompareToWebview } from '../../src/shared/protocol';

export type Boot<State> = CommonBoot<CompareToWebview, CompareFromWebview, State>;

export function boot<State>(): Boot<State> {
  return commonBoot<CompareToWebview, CompareFromWebview, State>();
}
