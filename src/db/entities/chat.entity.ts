import { defineEntity, type InferEntity, p } from '@mikro-orm/postgresql';
import { timestampColumn } from './timestamp-column.ts';

/** A chat owned by one user of one tenant; soft-deleted chats (and all they hold) vanish from reads. */
export const ChatSchema = defineEntity({
  name: 'Chat',
  tableName: 'chats',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    userId: p.uuid(),
    title: p.text(),
    model: p.text(),
    createdAt: timestampColumn(),
    /** Moves on every new turn; the owner's chat list is ordered by it. */
    updatedAt: timestampColumn(),
    deletedAt: timestampColumn().nullable(),
  },
  indexes: [
    {
      // The owner's live chats, newest first. Written as SQL because MikroORM 7.2.1 introspection
      // reads the sort order of column `id` from `tenant_id` and would report a false diff.
      name: 'chats_owner_live_updated_idx',
      expression: `create index "chats_owner_live_updated_idx" on "chats" ("tenant_id", "user_id", "updated_at" desc, "id" desc) where deleted_at is null`,
    },
  ],
});

export type Chat = InferEntity<typeof ChatSchema>;
