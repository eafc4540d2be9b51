/** The authenticated caller of one request, taken from verified JWT claims. */
export type Caller = {
  readonly tenantId: string;
  readonly userId: string;
  readonly subjectType: 'user' | 'system';
  readonly scopes: ReadonlySet<string>;
};

export const readScope = 'ai:mini_chat:read';
export const writeScope = 'ai:mini_chat:write';
/** Grants both read and write. */
export const fullScope = 'ai:mini_chat';

export type Access = 'read' | 'write';

/** Whether the caller's scopes allow this kind of access (api.md "Scopes"). */
export function isAllowed(caller: Caller, access: Access): boolean {
  if (caller.scopes.has(fullScope)) return true;
  return caller.scopes.has(access === 'read' ? readScope : writeScope);
}
