import { Migration } from '@mikro-orm/migrations';

export class Migration20261125074846_relay_chat_queue extends Migration {

  override name = 'Migration20261125074846_relay_chat_queue';

  override up(): void | Promise<void> {
    this.addSql(`create table "outbox_chats" ("chat_id" uuid not null, "last_seq" int not null, "published_seq" int not null default 0, "ready_at" timestamptz(3) not null, "locked_until" timestamptz(3) null, "locked_by" text null, primary key ("chat_id"));`);
    this.addSql(`create index "outbox_chats_ready_idx" on "outbox_chats" ("ready_at") where published_seq < last_seq and locked_until is null;`);
    this.addSql(`create index "outbox_chats_leased_idx" on "outbox_chats" ("locked_until") where locked_until is not null;`);
    // Added by hand: a chat row for every chat already in the outbox. Its next event is its first
    // unfinished one (not published, not discarded); a chat whose next event is a dead letter waits.
    this.addSql(`insert into "outbox_chats" ("chat_id", "last_seq", "published_seq", "ready_at")
      select "chat_id", max("chat_seq"),
             coalesce(min("chat_seq") filter (where "published_at" is null and "discarded_at" is null) - 1, max("chat_seq")),
             case when bool_or("dead_lettered_at" is not null and "discarded_at" is null) then 'infinity'
                  else coalesce(min("created_at") filter (where "published_at" is null and "discarded_at" is null), now()) end
        from "outbox" group by "chat_id";`);

    this.addSql(`drop index "outbox_unfinished_idx";`);
    this.addSql(`alter table "outbox" drop column "locked_by", drop column "locked_until";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "outbox_chats" cascade;`);

    this.addSql(`alter table "outbox" add "locked_by" text null, add "locked_until" timestamptz(3) null;`);
    this.addSql(`create index "outbox_unfinished_idx" on "outbox" ("chat_id", "chat_seq") where published_at is null and discarded_at is null;`);
  }

}
