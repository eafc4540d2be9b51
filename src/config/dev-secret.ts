import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const fileName = 'dev-jwt-secret';

/**
 * The HS256 secret for local development: read from `<dataDir>/dev-jwt-secret`, created with 48
 * random bytes on first use (mode 0600). Never used in production (`loadConfig` refuses to start
 * without a configured key there), so there is no default secret in code.
 */
export function ensureDevSecret(dataDir: string): { secret: string; filePath: string; isNew: boolean } {
  const filePath = path.resolve(dataDir, fileName);
  try {
    return { secret: readFileSync(filePath, 'utf8').trim(), filePath, isNew: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(path.dirname(filePath), { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(filePath, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return { secret, filePath, isNew: true };
}
