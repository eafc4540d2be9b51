import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** One model a chat can use: our id, the provider's name for it and its limits. */
export type CatalogModel = {
  readonly id: string;
  readonly providerModel: string;
  readonly contextWindowTokens: number;
  readonly maxOutputTokens: number;
  readonly isDefault: boolean;
};

export type ModelCatalog = {
  readonly models: readonly CatalogModel[];
  readonly defaultModel: CatalogModel;
  find(id: string): CatalogModel | undefined;
};

const catalogFileSchema = z
  .array(
    z.object({
      id: z.string().min(1).max(128),
      provider_model: z.string().min(1),
      context_window_tokens: z.number().int().positive(),
      max_output_tokens: z.number().int().positive(),
      default: z.boolean().default(false),
    }),
  )
  .min(1)
  .refine((models) => models.every((model) => model.max_output_tokens < model.context_window_tokens), 'max_output_tokens must be below context_window_tokens (else no prompt fits)')
  .refine((models) => models.filter((model) => model.default).length <= 1, 'at most one model may be the default')
  .refine((models) => new Set(models.map((model) => model.id)).size === models.length, 'model ids must be unique');

/** A `MODEL_CATALOG` file that cannot be read or is not a valid catalog; the message names the variable and the file. */
export class ModelCatalogError extends Error {
  constructor(path: string, problem: string) {
    super(`MODEL_CATALOG ${path}: ${problem}`);
    this.name = 'ModelCatalogError';
  }
}

export function createModelCatalog(models: readonly CatalogModel[]): ModelCatalog {
  const defaultModel = models.find((model) => model.isDefault) ?? models[0];
  if (!defaultModel) throw new Error('a model catalog needs at least one model');
  const byId = new Map(models.map((model) => [model.id, model]));
  return { models, defaultModel, find: (id) => byId.get(id) };
}

/**
 * The catalog in force: the JSON file at `MODEL_CATALOG` when given, otherwise one default model —
 * `echo` for the echo provider, `OPENAI_MODEL` for openai (operations.md "Configuration").
 */
export function loadModelCatalog(options: { path?: string; provider: 'echo' | 'openai'; openaiModel: string }): ModelCatalog {
  if (options.path !== undefined) {
    const parsed = catalogFileSchema.safeParse(readCatalogJson(options.path));
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message));
      throw new ModelCatalogError(options.path, problems.join('; '));
    }
    return createModelCatalog(
      parsed.data.map((entry) => ({
        id: entry.id,
        providerModel: entry.provider_model,
        contextWindowTokens: entry.context_window_tokens,
        maxOutputTokens: entry.max_output_tokens,
        isDefault: entry.default,
      })),
    );
  }
  const id = options.provider === 'echo' ? 'echo' : options.openaiModel;
  return createModelCatalog([{ id, providerModel: id, contextWindowTokens: 128_000, maxOutputTokens: 4_096, isDefault: true }]);
}

function readCatalogJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ModelCatalogError(path, `cannot read the file (${Reflect.get(Object(error), 'code') ?? String(error)})`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ModelCatalogError(path, `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}
