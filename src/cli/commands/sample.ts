/** `mlops init DIR --sample --story`: the sample workspace with the seed notebook's story played in it. */
import * as path from 'node:path';
import { playStory, type StoryResult } from '../../core/sample/story';
import { AbortError, UserInputError } from '../../core/util/errors';
import { out } from '../context';

/** Play the story in the sample workspace `dir` (already written) and print what it did, or why it did nothing. */
export async function playSampleStory(dir: string): Promise<void> {
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  const tty = process.stderr.isTTY;
  const clear = () => tty && process.stderr.write('\r\x1b[K');
  const res = await playStory(dir, {
    signal: ac.signal,
    source: 'cli',
    onProgress: (m) => (tty ? process.stderr.write(`\r\x1b[K${m.slice(0, (process.stderr.columns || 80) - 1)}`) : undefined),
  }).catch((e: unknown) => {
    clear();
    // Ctrl-C: exit 130 with what the sample keeps, as `mlops train` does.
    if (e instanceof AbortError) throw Object.assign(new UserInputError(e.message), { exitCode: 130 });
    throw e;
  });
  clear();
  if (!res.played) {
    out.line(`Story not played: ${res.reason}. The sample is left as it is (a fresh folder, or MLOPS_SAMPLE_RESET=1 with npm start, starts over).`);
    return;
  }
  out.line(storySummary(res));
}

export function storySummary(res: StoryResult): string {
  const width = Math.max(...res.steps.map((s) => s.step.length));
  const lines = res.steps.map((s) => `  ${s.step.padEnd(width)}  ${s.seconds.toFixed(1).padStart(5)} s  ${s.summary}`);
  return `The seed's story, played in ${res.seconds.toFixed(1)} s in ${path.basename(res.dir)}:\n${lines.join('\n')}`;
}
