import { z } from 'zod';

/** The field rules api.md states once and every RPC shares. */

export const uuidField = z.uuid({ message: 'must be a UUID' });

/** 0 or unset → 20; 1–100 honoured; negative or over 100 rejected (api.md ListChats). */
export const pageSizeField = z
  .number()
  .int()
  .min(0, { message: 'must be between 0 and 100' })
  .max(100, { message: 'must be between 0 and 100' })
  .transform((size) => (size === 0 ? 20 : size));

export const pageTokenField = z.string().max(512, { message: 'is not a page token this service issued' });
