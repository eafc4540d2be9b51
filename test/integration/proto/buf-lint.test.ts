import { expect, it } from 'vitest';
import { runBuf } from '../../support/buf.ts';

it('passes buf lint (STANDARD and COMMENTS, with the exceptions documented in buf.yaml)', async () => {
  const result = await runBuf(['lint']);

  // On failure, the message lists every finding as `file:line:column:message`.
  expect(result.stdout + result.stderr, 'buf lint findings').toBe('');
  expect(result.exitCode).toBe(0);
});
