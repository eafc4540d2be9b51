import { Migration } from '@mikro-orm/migrations';

export class Migration20261125071311_relay_ordering extends Migration {

  override name = 'Migration20261125071311_relay_ordering';

  override up(): void | Promise<void> {
    // Generated as one `add "chat_seq" int not null`, which fails on a non-empty outbox: rows
    // written before this migration are numbered per chat in insertion (id) order first.
    this.addSql(`alter table "outbox" add "chat_seq" int null, add "locked_by" text null, add "discarded_at" timestamptz(3) null;`);
    this.addSql(`update "outbox" set "chat_seq" = numbered.seq from (select "id", row_number() over (partition by "chat_id" order by "id") as seq from "outbox") as numbered where "outbox"."id" = numbered."id";`);
    this.addSql(`alter table "outbox" alter column "chat_seq" set not null;`);
    this.addSql(`create index "outbox_unfinished_idx" on "outbox" ("chat_id", "chat_seq") where published_at is null and discarded_at is null;`);
    this.addSql(`create index "outbox_published_idx" on "outbox" ("published_at") where published_at is not null;`);
    this.addSql(`create index "outbox_dead_letters_idx" on "outbox" ("id") where dead_lettered_at is not null;`);
    this.addSql(`alter table "outbox" add constraint "outbox_chat_id_chat_seq_unique" unique ("chat_id", "chat_seq");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "outbox_unfinished_idx";`);
    this.addSql(`drop index "outbox_published_idx";`);
    this.addSql(`drop index "outbox_dead_letters_idx";`);
    this.addSql(`alter table "outbox" drop constraint "outbox_chat_id_chat_seq_unique";`);
    this.addSql(`alter table "outbox" drop column "chat_seq", drop column "locked_by", drop column "discarded_at";`);
  }

}
