import { create } from '@bufbuild/protobuf';
import type { ConnectRouter } from '@connectrpc/connect';
import type { MikroORM } from '@mikro-orm/postgresql';
import {
  ChatService,
  CreateChatResponseSchema,
  DeleteChatResponseSchema,
  GetChatResponseSchema,
  ListChatsResponseSchema,
  ListMessagesResponseSchema,
} from '../gen/minichat/v1/chat_service_pb.ts';
import type { ModelCatalog } from '../llm/model-catalog.ts';
import { createChat } from '../use-cases/create-chat.ts';
import { deleteChat } from '../use-cases/delete-chat.ts';
import { getChat } from '../use-cases/get-chat.ts';
import { listChats } from '../use-cases/list-chats.ts';
import { listMessages } from '../use-cases/list-messages.ts';
import { toChatProto, toMessageProto } from './converters/chat-converters.ts';
import { requesterOf } from './requester.ts';
import {
  parseCreateChatRequest,
  parseDeleteChatRequest,
  parseGetChatRequest,
  parseListChatsRequest,
  parseListMessagesRequest,
} from './validation/chat-requests.ts';

/** `minichat.v1.ChatService`: each handler validates, calls one use case and converts the result. */
export function registerChatService(router: ConnectRouter, deps: { orm: MikroORM; catalog: ModelCatalog }): void {
  const { orm, catalog } = deps;
  router.service(ChatService, {
    async createChat(req, ctx) {
      const command = { requester: requesterOf(ctx), ...parseCreateChatRequest(req, catalog) };
      return create(CreateChatResponseSchema, { chat: toChatProto(await createChat(orm, command)) });
    },
    async getChat(req, ctx) {
      const chat = await getChat(orm, { requester: requesterOf(ctx), ...parseGetChatRequest(req) });
      return create(GetChatResponseSchema, { chat: toChatProto(chat) });
    },
    async listChats(req, ctx) {
      const page = await listChats(orm, { requester: requesterOf(ctx), ...parseListChatsRequest(req) });
      return create(ListChatsResponseSchema, { chats: page.chats.map(toChatProto), nextPageToken: page.nextPageToken });
    },
    async deleteChat(req, ctx) {
      await deleteChat(orm, { requester: requesterOf(ctx), ...parseDeleteChatRequest(req) });
      return create(DeleteChatResponseSchema, {});
    },
    async listMessages(req, ctx) {
      const page = await listMessages(orm, { requester: requesterOf(ctx), ...parseListMessagesRequest(req) });
      return create(ListMessagesResponseSchema, { messages: page.messages.map(toMessageProto), nextPageToken: page.nextPageToken });
    },
  });
}
