import { modelUnavailable } from '../domain/errors.ts';
import type { CatalogModel, ModelCatalog } from '../llm/model-catalog.ts';

/** The catalog entry of a chat's model; MODEL_UNAVAILABLE when the catalog no longer has it. */
export function modelOfChat(catalog: ModelCatalog, chat: { readonly id: string; readonly model: string }): CatalogModel {
  const model = catalog.find(chat.model);
  if (!model) throw modelUnavailable(chat.id, chat.model);
  return model;
}
