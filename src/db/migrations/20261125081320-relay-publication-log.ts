import { Migration } from '@mikro-orm/migrations';

export class Migration20261125081320_relay_publication_log extends Migration {

  override name = 'Migration20261125081320_relay_publication_log';

  override up(): void | Promise<void> {
    this.addSql(`create table "outbox_publications" ("chat_id" uuid not null, "up_to_seq" int not null, "published_at" timestamptz(3) not null, primary key ("chat_id", "up_to_seq"));`);
    this.addSql(`create index "outbox_publications_published_at_idx" on "outbox_publications" ("published_at");`);

    this.addSql(`drop index "outbox_chats_ready_idx";`);
    this.addSql(`create index "outbox_chats_ready_idx" on "outbox_chats" ("ready_at") where published_seq < last_seq;`);

    // Added by hand, before published_at goes: one publication per chat that published anything,
    // at its latest publish (or discard) time, so retention keeps counting from then.
    this.addSql(`insert into "outbox_publications" ("chat_id", "up_to_seq", "published_at")
      select c."chat_id", c."published_seq", coalesce(max(greatest(o."published_at", o."discarded_at")), now())
        from "outbox_chats" c
        left join "outbox" o on o."chat_id" = c."chat_id" and o."chat_seq" <= c."published_seq"
       where c."published_seq" > 0
       group by c."chat_id", c."published_seq";`);

    this.addSql(`drop index "outbox_pending_idx";`);
    this.addSql(`drop index "outbox_published_idx";`);
    this.addSql(`alter table "outbox" drop column "published_at";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "outbox_publications" cascade;`);

    this.addSql(`alter table "outbox" add "published_at" timestamptz(3) null;`);
    this.addSql(`create index "outbox_pending_idx" on "outbox" ("id") where published_at is null and dead_lettered_at is null;`);
    this.addSql(`create index "outbox_published_idx" on "outbox" ("published_at") where published_at is not null;`);

    this.addSql(`drop index "outbox_chats_ready_idx";`);
    this.addSql(`create index "outbox_chats_ready_idx" on "outbox_chats" ("ready_at") where published_seq < last_seq and locked_until is null;`);
  }

}
