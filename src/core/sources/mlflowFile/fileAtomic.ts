/** Files of an MLflow file store written atomically: a temporary file in a folder MLflow does not read, then a rename. */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseMetaYaml, type Yaml } from './metaYaml';

/** Temporary files and folders of a push; MLflow's readers and ours skip them (a folder) or never look (the run's folder). */
export const TMP_PREFIX = '.mlops-tmp-';

/** Replace `target` atomically with a temporary file in `tmpDir` (same file system), then rename. */
export function writeAtomicVia(tmpDir: string, target: string, data: string | Uint8Array): void {
  const tmp = path.join(tmpDir, `${TMP_PREFIX}${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const fd = fs.openSync(tmp, 'wx', 0o644);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let off = 0; off < buf.length; ) off += fs.writeSync(fd, buf, off, buf.length - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export function readMeta(file: string): Yaml | undefined {
  try {
    return parseMetaYaml(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
