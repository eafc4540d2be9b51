import type { Owner } from '../db/repositories/owner.ts';
import type { EventActor } from '../domain/audit-events.ts';

/** The caller as every use case sees it: the owner scope for queries and the actor for events. */
export type Requester = {
  readonly owner: Owner;
  readonly actor: EventActor;
};
