import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { Chat } from '../../db/entities/chat.entity.ts';
import { ChatSchema, type Chat as ChatProto } from '../../gen/minichat/v1/chat_pb.ts';
import { MessageRole, MessageSchema, UsageSchema, type Message as MessageProto } from '../../gen/minichat/v1/message_pb.ts';
import type { ListedMessage } from '../../use-cases/list-messages.ts';

export function toChatProto(chat: Chat): ChatProto {
  return create(ChatSchema, {
    id: chat.id,
    title: chat.title,
    model: chat.model,
    createTime: timestampFromDate(chat.createdAt),
    updateTime: timestampFromDate(chat.updatedAt),
  });
}

/** Usage and model are reported for assistant messages only (api.md `Message`). */
export function toMessageProto(message: ListedMessage): MessageProto {
  const isAssistant = message.role === 'assistant';
  return create(MessageSchema, {
    id: message.id,
    chatId: message.chatId,
    requestId: message.requestId,
    role: isAssistant ? MessageRole.ASSISTANT : MessageRole.USER,
    content: message.content,
    createTime: timestampFromDate(message.createdAt),
    usage: isAssistant
      ? create(UsageSchema, { inputTokens: Number(message.inputTokens ?? 0), outputTokens: Number(message.outputTokens ?? 0) })
      : undefined,
    model: isAssistant ? (message.model ?? '') : '',
    partial: message.partial,
    attachmentIds: message.attachmentIds,
  });
}
