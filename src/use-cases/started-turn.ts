import type { MessageListCursor } from '../db/repositories/message.repository.ts';
import type { EventActor } from '../domain/audit-events.ts';
import type { CatalogModel } from '../llm/model-catalog.ts';

/**
 * A turn whose preflight transaction committed: it is `running` in the database and everything
 * the stream needs is here, so no lock or transaction is held while the model answers.
 */
export type StartedTurn = {
  readonly turnId: string;
  readonly tenantId: string;
  readonly chatId: string;
  readonly requestId: string;
  /** Fixed up front and announced in `started`; the finalization stores the answer under it. */
  readonly assistantMessageId: string;
  readonly userMessageId: string;
  readonly content: string;
  /** Whether the user message links attachments: the context reads them only then. */
  readonly hasAttachments: boolean;
  readonly model: CatalogModel;
  /** The newest live message before this turn's user message; null in an empty chat. */
  readonly boundary: MessageListCursor | null;
  readonly startedAt: Date;
  readonly actor: EventActor;
  /** Set for Retry and Edit: the request id of the turn this one replaces. */
  readonly replacesRequestId?: string;
};
