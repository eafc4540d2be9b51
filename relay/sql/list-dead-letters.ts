import { OUTBOX_CHATS_TABLE, OUTBOX_TABLE, outboxChatColumns as ch, outboxColumns as c } from '../../src/outbox/outbox-schema.ts';
import type { DatabaseClient } from './database-client.ts';

/** A dead letter as the CLI shows it. */
export type DeadLetter = {
  readonly id: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly tenantId: string;
  readonly chatId: string;
  readonly chatSeq: number;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly payloadBytes: number;
  readonly createdAt: Date;
  readonly deadLetteredAt: Date;
  /** Later events of the same chat waiting behind this one. */
  readonly eventsHeldBack: number;
};

const listDeadLettersSql = `
select o.${c.id} as id, o.${c.eventId} as "eventId", o.${c.eventType} as "eventType", o.${c.tenantId} as "tenantId",
       o.${c.chatId} as "chatId", o.${c.chatSeq} as "chatSeq", o.${c.attempts} as attempts, o.${c.lastError} as "lastError",
       octet_length(o.${c.payload}::text) as "payloadBytes", o.${c.createdAt} as "createdAt", o.${c.deadLetteredAt} as "deadLetteredAt",
       chat.${ch.lastSeq} - o.${c.chatSeq} as "eventsHeldBack"
  from ${OUTBOX_TABLE} o
  join ${OUTBOX_CHATS_TABLE} chat on chat.${ch.chatId} = o.${c.chatId}
 where o.${c.deadLetteredAt} is not null and o.${c.discardedAt} is null
 order by o.${c.id}`;

/** Every dead letter not yet handled, oldest first, with how many events of its chat it holds back. */
export async function listDeadLetters(db: DatabaseClient): Promise<DeadLetter[]> {
  const { rows } = await db.query<DeadLetter>(listDeadLettersSql);
  return rows;
}
