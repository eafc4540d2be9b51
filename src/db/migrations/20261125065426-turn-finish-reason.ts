import { Migration } from '@mikro-orm/migrations';

export class Migration20261125065426_turn_finish_reason extends Migration {

  override name = 'Migration20261125065426_turn_finish_reason';

  override up(): void | Promise<void> {
    this.addSql(`alter table "chat_turns" add "finish_reason" text null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "chat_turns" drop column "finish_reason";`);
  }

}
