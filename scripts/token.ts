/**
 * `npm run token -- --tenant <uuid> --user <uuid> [--scope ...] [--ttl 1h] [--subject-type user|system]`
 * prints a bearer token signed with the configured HS256 secret (or the development secret in
 * DATA_DIR), for local use with grpcurl and curl.
 */
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../src/config/config.ts';
import { ensureDevSecret } from '../src/config/dev-secret.ts';
import { parseDurationMs } from '../src/config/units.ts';

const usage = 'usage: npm run token -- --tenant <uuid> --user <uuid> [--scope "ai:mini_chat"] [--ttl 1h] [--subject-type user|system]';

const argsSchema = z.object({
  tenant: z.uuid({ message: '--tenant must be a UUID' }),
  user: z.uuid({ message: '--user must be a UUID' }),
  scope: z.string().default('ai:mini_chat'),
  ttl: z.string().default('1h').refine((ttl) => parseDurationMs(ttl) !== undefined, '--ttl must be a duration such as 15m or 1h'),
  'subject-type': z.enum(['user', 'system']).default('user'),
});

function fail(message: string): never {
  process.stderr.write(`${message}\n${usage}\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    tenant: { type: 'string' },
    user: { type: 'string' },
    scope: { type: 'string' },
    ttl: { type: 'string' },
    'subject-type': { type: 'string' },
  },
});
const args = argsSchema.safeParse(values);
if (!args.success) fail(args.error.issues.map((issue) => issue.message).join('\n'));

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}
if (config.auth.jwtSecret === undefined && config.auth.jwksUrl !== undefined) {
  fail('AUTH_JWKS_URL is set: tokens come from your identity provider, this command signs only HS256 tokens');
}
const secret = config.auth.jwtSecret ?? ensureDevSecret(config.dataDir).secret;
const ttlSeconds = Math.round((parseDurationMs(args.data.ttl) ?? 3_600_000) / 1000);

let jwt = new SignJWT({ tenant_id: args.data.tenant, scope: args.data.scope, subject_type: args.data['subject-type'] })
  .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
  .setSubject(args.data.user)
  .setIssuedAt()
  .setExpirationTime(`${ttlSeconds}s`);
if (config.auth.issuer) jwt = jwt.setIssuer(config.auth.issuer);
if (config.auth.audience) jwt = jwt.setAudience(config.auth.audience);
process.stdout.write(`${await jwt.sign(new TextEncoder().encode(secret))}\n`);
