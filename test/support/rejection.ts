import { expect } from 'vitest';

/** The error a write that must fail was refused with; fails the test if the database accepted it. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('the database accepted the row'),
    (error: unknown) => error,
  );
}
