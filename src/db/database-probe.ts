import type { MikroORM } from '@mikro-orm/postgresql';

/**
 * A cheap reachability check of the service's own database: `select 1` on a connection of the
 * ORM's pool, the same path every request takes. Resolves `true` if the answer came within
 * `timeoutMs`, `false` on any failure or timeout; never rejects. While a probe that timed out is
 * still waiting (e.g. a connect to a host that drops packets), the next probes answer `false` at
 * once instead of stacking more waits on the pool.
 */
export function createDatabaseProbe(orm: MikroORM, options: { timeoutMs: number }): () => Promise<boolean> {
  let pending: Promise<boolean> | undefined;
  return async () => {
    if (pending) return false;
    const query = orm.em
      .fork()
      .getConnection()
      .execute('select 1')
      .then(
        () => true,
        () => false,
      );
    pending = query;
    void query.finally(() => {
      pending = undefined;
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), options.timeoutMs);
    });
    try {
      return await Promise.race([query, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}
