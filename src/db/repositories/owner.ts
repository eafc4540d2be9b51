/**
 * Who may see a chat: one user of one tenant. Every chat query is scoped by both, so another
 * tenant's or user's chat is indistinguishable from one that does not exist.
 */
export type Owner = {
  readonly tenantId: string;
  readonly userId: string;
};
