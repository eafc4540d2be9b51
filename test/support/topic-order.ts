import type { KafkaRecord } from './kafka.ts';

/**
 * What a consumer that dedupes by `event-id` sees per chat (record key): the event ids in
 * partition order, each at its first occurrence. Also returns how many duplicates it dropped and
 * whether any duplicate differed from its first copy (it must not: same key, value and headers).
 */
export function firstOccurrencesPerChat(records: readonly KafkaRecord[]) {
  const perChat = new Map<string, string[]>();
  const firstCopy = new Map<string, KafkaRecord>();
  let duplicates = 0;
  const differingDuplicates: string[] = [];
  for (const record of records) {
    const eventId = record.headers['event-id']!;
    const first = firstCopy.get(eventId);
    if (first !== undefined) {
      duplicates += 1;
      if (first.key !== record.key || first.value !== record.value || JSON.stringify(first.headers) !== JSON.stringify(record.headers)) {
        differingDuplicates.push(eventId);
      }
      continue;
    }
    firstCopy.set(eventId, record);
    const chat = perChat.get(record.key!) ?? [];
    chat.push(eventId);
    perChat.set(record.key!, chat);
  }
  return { perChat, duplicates, differingDuplicates };
}

/** Expected per-chat order from outbox rows `(chat_id, event_id)` sorted by chat and chat_seq. */
export function perChatOrder(rows: ReadonlyArray<{ chat_id: string; event_id: string }>): Map<string, string[]> {
  const perChat = new Map<string, string[]>();
  for (const row of rows) {
    const chat = perChat.get(row.chat_id) ?? [];
    chat.push(row.event_id);
    perChat.set(row.chat_id, chat);
  }
  return perChat;
}
