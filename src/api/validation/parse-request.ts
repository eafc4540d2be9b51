import type { z } from 'zod';
import { invalidArgument } from '../../domain/errors.ts';

/**
 * Validates a decoded request against its schema. Every problem becomes one field violation named
 * by the proto field path (`page_size`, `attachment_ids[2]`), so a client can point at the input.
 */
export function parseRequest<Schema extends z.ZodType>(schema: Schema, input: z.input<Schema>): z.output<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw invalidArgument(
    result.error.issues.map((issue) => ({
      field: issue.path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index > 0 ? '.' : ''}${String(part)}`)).join(''),
      description: issue.message,
    })),
  );
}

/**
 * `build` run once per distinct setting (a size limit, the model catalog) instead of once per
 * request: zod compiles a schema on its first parse, which costs far more than the parse itself.
 */
export function schemaPerSetting<Setting, Schema>(build: (setting: Setting) => Schema): (setting: Setting) => Schema {
  const built = new Map<Setting, Schema>();
  return (setting) => {
    let schema = built.get(setting);
    if (schema === undefined) {
      schema = build(setting);
      built.set(setting, schema);
    }
    return schema;
  };
}
