/**
 * The environment of the relay child that `npm start` runs when `KAFKA_BROKERS` is set: the
 * service's own environment (so `KAFKA_BROKERS`, `AUDIT_TOPIC`, `RELAY_*` and `LOG_LEVEL` reach
 * it as they are), with `DATABASE_URL` naming the database the service actually uses (the
 * embedded one when none was given). The relay validates it with its own configuration.
 */
export function relayEnvironment(databaseUrl: string, env: Record<string, string | undefined> = process.env): Record<string, string | undefined> {
  return { ...env, DATABASE_URL: databaseUrl };
}
