import pg from 'pg';

/** A plain `pg` pool on a test database, for arranging rows and for checking what was written. */
export function sqlClient(databaseUrl: string) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  return {
    async rows<T extends Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
      return (await pool.query<T>(text, values)).rows;
    },
    async count(table: 'chats' | 'chat_turns' | 'messages' | 'attachments' | 'outbox'): Promise<number> {
      const result = await pool.query<{ n: string }>(`select count(*)::text as n from ${table}`);
      return Number(result.rows[0]?.n);
    },
    close: () => pool.end(),
  };
}

export type SqlClient = ReturnType<typeof sqlClient>;
