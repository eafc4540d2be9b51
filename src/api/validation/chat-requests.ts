import { z } from 'zod';
import type {
  CreateChatRequest,
  DeleteChatRequest,
  GetChatRequest,
  ListChatsRequest,
  ListMessagesRequest,
} from '../../gen/minichat/v1/chat_service_pb.ts';
import type { ModelCatalog } from '../../llm/model-catalog.ts';
import { pageSizeField, pageTokenField, uuidField } from './fields.ts';
import { parseRequest, schemaPerSetting } from './parse-request.ts';

const maxTitleChars = 255;

const createChatSchema = schemaPerSetting((catalog: ModelCatalog) =>
  z.object({
    title: z
      .string()
      .refine((title) => [...title].length <= maxTitleChars, { message: `must be at most ${maxTitleChars} characters` })
      .transform((title) => title.trim()),
    model: z
      .string()
      .refine((model) => model === '' || catalog.find(model) !== undefined, {
        message: `must be one of the catalog's models: ${catalog.models.map((model) => model.id).join(', ')}`,
      })
      .transform((model) => catalog.find(model) ?? catalog.defaultModel),
  }),
);

export function parseCreateChatRequest(req: CreateChatRequest, catalog: ModelCatalog) {
  return parseRequest(createChatSchema(catalog), { title: req.title, model: req.model });
}

const chatIdSchema = z.object({ chat_id: uuidField });

export function parseGetChatRequest(req: GetChatRequest) {
  return { chatId: parseRequest(chatIdSchema, { chat_id: req.chatId }).chat_id };
}

export function parseDeleteChatRequest(req: DeleteChatRequest) {
  return { chatId: parseRequest(chatIdSchema, { chat_id: req.chatId }).chat_id };
}

const listChatsSchema = z.object({ page_size: pageSizeField, page_token: pageTokenField });

export function parseListChatsRequest(req: ListChatsRequest) {
  const parsed = parseRequest(listChatsSchema, { page_size: req.pageSize, page_token: req.pageToken });
  return { pageSize: parsed.page_size, pageToken: parsed.page_token };
}

const listMessagesSchema = z.object({ chat_id: uuidField, page_size: pageSizeField, page_token: pageTokenField });

export function parseListMessagesRequest(req: ListMessagesRequest) {
  const parsed = parseRequest(listMessagesSchema, { chat_id: req.chatId, page_size: req.pageSize, page_token: req.pageToken });
  return { chatId: parsed.chat_id, pageSize: parsed.page_size, pageToken: parsed.page_token };
}
