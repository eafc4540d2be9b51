import { Migration } from '@mikro-orm/migrations';

export class Migration20261125064346_initial_schema extends Migration {

  override name = 'Migration20261125064346_initial_schema';

  override up(): void | Promise<void> {
    this.addSql(`create table "chats" ("id" uuid not null, "tenant_id" uuid not null, "user_id" uuid not null, "title" text not null, "model" text not null, "created_at" timestamptz(3) not null, "updated_at" timestamptz(3) not null, "deleted_at" timestamptz(3) null, primary key ("id"));`);
    this.addSql(`create index "chats_owner_live_updated_idx" on "chats" ("tenant_id", "user_id", "updated_at" desc, "id" desc) where deleted_at is null;`);

    this.addSql(`create table "attachments" ("id" uuid not null, "tenant_id" uuid not null, "chat_id" uuid not null, "uploaded_by" uuid not null, "filename" text not null, "content_type" text not null, "size_bytes" bigint not null, "content" bytea not null, "created_at" timestamptz(3) not null, "deleted_at" timestamptz(3) null, primary key ("id"));`);
    this.addSql(`alter table "attachments" add constraint "attachments_size_bytes_check" check (size_bytes >= 0);`);

    this.addSql(`create table "messages" ("id" uuid not null, "tenant_id" uuid not null, "chat_id" uuid not null, "request_id" uuid not null, "role" text not null, "content" text not null, "model" text null, "input_tokens" int null, "output_tokens" int null, "partial" boolean not null default false, "created_at" timestamptz(3) not null, "deleted_at" timestamptz(3) null, primary key ("id"));`);
    this.addSql(`create index "messages_live_order_idx" on "messages" ("chat_id", "created_at", "id") where deleted_at is null;`);
    this.addSql(`create unique index "messages_one_live_per_role" on "messages" ("chat_id", "request_id", "role") where deleted_at is null;`);
    this.addSql(`alter table "messages" add constraint "messages_role_check" check ("role" in ('user', 'assistant'));`);

    this.addSql(`create table "message_attachments" ("message_id" uuid not null, "attachment_id" uuid not null, "chat_id" uuid not null, "tenant_id" uuid not null, "created_at" timestamptz(3) not null, primary key ("message_id", "attachment_id"));`);

    this.addSql(`create table "outbox" ("id" bigint generated always as identity not null primary key, "event_id" uuid not null, "tenant_id" uuid not null, "chat_id" uuid not null, "event_type" text not null, "payload" jsonb not null, "trace_id" text null, "created_at" timestamptz(3) not null default now(), "published_at" timestamptz(3) null, "attempts" int not null default 0, "next_attempt_at" timestamptz(3) not null default now(), "locked_until" timestamptz(3) null, "last_error" text null, "dead_lettered_at" timestamptz(3) null);`);
    this.addSql(`alter table "outbox" add constraint "outbox_event_id_unique" unique ("event_id");`);
    this.addSql(`create index "outbox_pending_idx" on "outbox" ("id") where published_at is null and dead_lettered_at is null;`);

    this.addSql(`create table "chat_turns" ("id" uuid not null, "tenant_id" uuid not null, "chat_id" uuid not null, "request_id" uuid not null, "requester_type" text not null, "requester_user_id" uuid not null, "state" text not null, "error_code" text null, "error_detail" text null, "assistant_message_id" uuid null, "effective_model" text not null, "web_search_enabled" boolean not null default false, "input_tokens" int null, "output_tokens" int null, "reserved_tokens" bigint not null default 0, "quota_settled" boolean not null default false, "started_at" timestamptz(3) not null, "last_progress_at" timestamptz(3) null, "completed_at" timestamptz(3) null, "updated_at" timestamptz(3) not null, "deleted_at" timestamptz(3) null, "replaced_by_request_id" uuid null, primary key ("id"));`);
    this.addSql(`create index "chat_turns_latest_live_idx" on "chat_turns" ("chat_id", "started_at" desc, "id" desc) where deleted_at is null;`);
    this.addSql(`create index "chat_turns_orphan_scan_idx" on "chat_turns" ("last_progress_at") where state = 'running' and deleted_at is null;`);
    this.addSql(`alter table "chat_turns" add constraint "chat_turns_chat_id_request_id_unique" unique ("chat_id", "request_id");`);
    this.addSql(`create unique index "chat_turns_one_running_per_chat" on "chat_turns" ("chat_id") where state = 'running' and deleted_at is null;`);
    this.addSql(`alter table "chat_turns" add constraint "chat_turns_completed_at_iff_terminal" check ((state = 'running') = (completed_at is null));`);
    this.addSql(`alter table "chat_turns" add constraint "chat_turns_running_has_last_progress_at" check (state <> 'running' or last_progress_at is not null);`);
    this.addSql(`alter table "chat_turns" add constraint "chat_turns_requester_type_check" check ("requester_type" in ('user', 'system'));`);
    this.addSql(`alter table "chat_turns" add constraint "chat_turns_state_check" check ("state" in ('running', 'completed', 'failed', 'cancelled'));`);

    this.addSql(`alter table "attachments" add constraint "attachments_chat_id_foreign" foreign key ("chat_id") references "chats" ("id");`);

    this.addSql(`alter table "messages" add constraint "messages_chat_id_foreign" foreign key ("chat_id") references "chats" ("id");`);

    this.addSql(`alter table "message_attachments" add constraint "message_attachments_message_id_foreign" foreign key ("message_id") references "messages" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "message_attachments" add constraint "message_attachments_attachment_id_foreign" foreign key ("attachment_id") references "attachments" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "message_attachments" add constraint "message_attachments_chat_id_foreign" foreign key ("chat_id") references "chats" ("id");`);

    this.addSql(`alter table "chat_turns" add constraint "chat_turns_chat_id_foreign" foreign key ("chat_id") references "chats" ("id");`);
    this.addSql(`alter table "chat_turns" add constraint "chat_turns_assistant_message_id_foreign" foreign key ("assistant_message_id") references "messages" ("id") on delete set null;`);
  }

}
