import type pg from 'pg';

/** What the relay's statements need: a `pg` pool or client. */
export type DatabaseClient = Pick<pg.Pool, 'query'>;
