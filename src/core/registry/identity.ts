/** Who is acting: git user.email / user.name when available, else the OS user. Recorded in every registry event. */
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';

export interface Identity {
  email?: string;
  name?: string;
  osUser: string;
  /** What is shown and matched against the promoters list: email, else name, else the OS user. */
  display: string;
}

export function currentIdentity(cwd: string): Identity {
  const git = (key: string) => {
    try {
      return execFileSync('git', ['config', '--get', key], { cwd, encoding: 'utf8', timeout: 3000, stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
    } catch {
      return undefined;
    }
  };
  let osUser = 'unknown';
  try {
    osUser = os.userInfo().username;
  } catch {
    /* keep unknown */
  }
  const email = process.env.MLOPS_USER_EMAIL ?? git('user.email');
  const name = process.env.MLOPS_USER_NAME ?? git('user.name');
  return { email, name, osUser, display: email ?? name ?? osUser };
}
