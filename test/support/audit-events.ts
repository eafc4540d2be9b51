import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';
import type { SqlClient } from './sql.ts';

const schemaPath = path.resolve(import.meta.dirname, '../../schemas/audit-event.schema.json');
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
addFormats.default(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);

/** Fails the test, listing the schema violations, unless `event` matches the shipped JSON Schema. */
export function expectValidAuditEvent(event: unknown): void {
  const isValid = validate(event);
  expect(validate.errors ?? [], JSON.stringify(event)).toEqual([]);
  expect(isValid).toBe(true);
}

export type OutboxEventRow = { event_type: string; payload: Record<string, unknown> };

/** The outbox events of one chat in insertion order, each checked against the schema. */
export async function auditEventsOf(sql: SqlClient, chatId: string): Promise<OutboxEventRow[]> {
  const rows = await sql.rows<OutboxEventRow>('select event_type, payload from outbox where chat_id = $1 order by id', [chatId]);
  for (const row of rows) expectValidAuditEvent(row.payload);
  return rows;
}
