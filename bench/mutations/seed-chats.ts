import type pg from 'pg';

/** A chat whose latest live turn is completed and may be deleted or retried by its owner. */
export type SeededChat = {
  readonly chatId: string;
  readonly tenantId: string;
  readonly userId: string;
  /** Request id of the chat's latest live turn, completed. */
  readonly requestId: string;
};

// One statement for the whole batch: chats owned by distinct users of distinct tenants, each with
// one completed turn and its user and assistant messages (the user message 1 ms older, so chat
// order is user before assistant). Ids come from gen_random_uuid(); `r` is materialized once.
const seedChatsSql = `
  with c as (
    insert into chats (id, tenant_id, user_id, title, model, created_at, updated_at)
    select gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'bench', $2, now(), now()
      from generate_series(1, $1)
    returning id, tenant_id, user_id
  ), r as (
    select id, tenant_id, user_id, gen_random_uuid() as request_id from c
  ), t as (
    insert into chat_turns (id, tenant_id, chat_id, request_id, requester_type, requester_user_id, state,
                            effective_model, started_at, last_progress_at, completed_at, updated_at, finish_reason)
    select gen_random_uuid(), tenant_id, id, request_id, 'user', user_id, 'completed', $2, now(), now(), now(), now(), 'stop' from r
  ), m as (
    insert into messages (id, tenant_id, chat_id, request_id, role, content, model, created_at)
    select gen_random_uuid(), r.tenant_id, r.id, r.request_id, v.role, v.content, v.model, now() - v.age
      from r cross join (values ('user', 'What is the capital of France?', null, interval '1 ms'),
                                ('assistant', 'Paris is the capital of France.', $2, interval '0 ms')) as v(role, content, model, age)
  )
  select id as "chatId", tenant_id as "tenantId", user_id as "userId", request_id as "requestId" from r`;

/** Inserts `count` chats, each with one completed latest turn (user + assistant message). */
export async function seedChats(pool: pg.Pool, count: number, model: string): Promise<SeededChat[]> {
  if (count === 0) return [];
  return (await pool.query<SeededChat>(seedChatsSql, [count, model])).rows;
}

/**
 * Ends the chat's running turn as completed with an assistant message, as a finished stream would,
 * so the turn can be retried again. Returns the request id of that turn, now the completed latest.
 */
export async function completeRunningTurn(pool: pg.Pool, chat: SeededChat, model: string): Promise<SeededChat> {
  const { rows } = await pool.query<{ requestId: string }>(
    `with t as (
       update chat_turns set state = 'completed', completed_at = now(), updated_at = now(), finish_reason = 'stop'
        where chat_id = $1 and state = 'running' and deleted_at is null
       returning tenant_id, chat_id, request_id
     ), m as (
       insert into messages (id, tenant_id, chat_id, request_id, role, content, model, created_at)
       select gen_random_uuid(), tenant_id, chat_id, request_id, 'assistant', 'Paris.', $2, now() from t
     )
     select request_id as "requestId" from t`,
    [chat.chatId, model],
  );
  const requestId = rows[0]?.requestId;
  if (requestId === undefined) throw new Error(`bench: chat ${chat.chatId} has no running turn to complete`);
  return { ...chat, requestId };
}

/** Adds a new completed latest turn (user + assistant message) to the chat, so it can be deleted again. */
export async function addCompletedTurn(pool: pg.Pool, chat: SeededChat, model: string): Promise<SeededChat> {
  const { rows } = await pool.query<{ requestId: string }>(
    `with t as (
       insert into chat_turns (id, tenant_id, chat_id, request_id, requester_type, requester_user_id, state,
                               effective_model, started_at, last_progress_at, completed_at, updated_at, finish_reason)
       values (gen_random_uuid(), $1, $2, gen_random_uuid(), 'user', $3, 'completed', $4, now(), now(), now(), now(), 'stop')
       returning request_id
     ), m as (
       insert into messages (id, tenant_id, chat_id, request_id, role, content, model, created_at)
       select gen_random_uuid(), $1, $2, t.request_id, v.role, v.content, v.model, now() - v.age
         from t cross join (values ('user', 'And of Italy?', null, interval '1 ms'), ('assistant', 'Rome.', $4, interval '0 ms')) as v(role, content, model, age)
     )
     select request_id as "requestId" from t`,
    [chat.tenantId, chat.chatId, chat.userId, model],
  );
  const requestId = rows[0]?.requestId;
  if (requestId === undefined) throw new Error(`bench: could not add a turn to chat ${chat.chatId}`);
  return { ...chat, requestId };
}

/**
 * Between contention rounds: the chat gets a completed latest turn again, whichever mutation won
 * (Retry leaves a running turn, which is completed; Delete leaves none, so one is added).
 */
export async function renewLatestTurn(pool: pg.Pool, chat: SeededChat, model: string): Promise<SeededChat> {
  const { rows } = await pool.query(`select 1 from chat_turns where chat_id = $1 and state = 'running' and deleted_at is null`, [chat.chatId]);
  return rows.length > 0 ? completeRunningTurn(pool, chat, model) : addCompletedTurn(pool, chat, model);
}
