import { createContextKey } from '@connectrpc/connect';
import type { Caller } from './auth/caller.ts';

/** The verified caller, set by the auth interceptor; absent only on unauthenticated services. */
export const callerKey = createContextKey<Caller | undefined>(undefined, { description: 'authenticated caller' });
