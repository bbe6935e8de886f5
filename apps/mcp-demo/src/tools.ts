import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { VerifiedPrincipal } from '@gatehouse/verifier';
import { z } from 'zod';
import type { NoteStore } from './notes';
import { SUMMARY_STEP, type Specialist } from './specialist';
import type { StepTokens } from './step-tokens';

/** Every request to the MCP endpoint needs this scope (the 401 challenge names it). */
export const BASE_SCOPES = ['notes:read'] as const;

/**
 * The scopes each tool needs. `delete_note` needs a wider grant than the rest, so calling it
 * with a `notes:read` token is a 403 `insufficient_scope` naming both scopes: the client steps
 * up (a new authorization with the wider scope) and calls again.
 */
export const TOOL_SCOPES: Record<string, readonly string[]> = {
  list_notes: ['notes:read'],
  summarise_notes: ['notes:read'],
  delete_note: ['notes:read', 'notes:write'],
};

export interface ToolDeps {
  notes: NoteStore;
  steps: StepTokens;
  specialist: Specialist;
}

/** What the HTTP layer verified, handed to the tools through the SDK's `authInfo.extra`. */
export interface CallerContext {
  principal: VerifiedPrincipal;
  token: string;
}

const text = (value: unknown) => ({
  content: [{ type: 'text' as const, text: typeof value === 'string' ? value : JSON.stringify(value, null, 2) }],
});

/** One MCP server per request (the transport is stateless): its tools see only their caller. */
export function buildMcpServer(deps: ToolDeps): McpServer {
  const server = new McpServer({ name: 'gatehouse-mcp-demo', version: '0.1.0' });
  const caller = (extra: { authInfo?: { extra?: Record<string, unknown> } }) =>
    extra.authInfo?.extra?.caller as CallerContext;

  server.registerTool(
    'list_notes',
    { title: 'List notes', description: 'Your notes. Needs notes:read.' },
    async (extra) => text(deps.notes.list(caller(extra).principal.sub)),
  );

  server.registerTool(
    'delete_note',
    {
      title: 'Delete a note',
      description: 'Deletes one of your notes. Needs notes:write as well as notes:read.',
      inputSchema: { id: z.string().min(1).max(64) },
    },
    async ({ id }, extra) => {
      const deleted = deps.notes.delete(caller(extra).principal.sub, id);
      return deleted ? text(`Deleted note ${id}.`) : { ...text(`No note ${id}.`), isError: true };
    },
  );

  server.registerTool(
    'summarise_notes',
    {
      title: 'Summarise notes',
      description:
        'Hands the summary to a specialist, which gets a step token of its own (token exchange at Gatehouse) ' +
        'instead of your token. Needs notes:read.',
    },
    async (extra) => {
      const { token } = caller(extra);
      const stepToken = await deps.steps.exchange(token, SUMMARY_STEP, 'notes:read');
      const result = await deps.specialist.summarise(stepToken);
      return text({ summary: result.summary, specialist_token: result.token });
    },
  );

  return server;
}
