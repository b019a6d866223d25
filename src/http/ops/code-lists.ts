/**
 * Ops: the §6 local-code patterns, allowlist and blocklist, applied on every instance within
 * seconds of a change (domain/codes/list-cache.ts).
 *   GET    /ops/v1/codeLists/{kind}?afterId=&limit=       entries by id (default 1000, at most 10000)
 *   POST   /ops/v1/codeLists/{kind}/entries {patternType, pattern, note?}  -> 201; 409 duplicate;
 *          400 naming why a pattern is refused (blank, too long, a regex RE2 cannot run)
 *   DELETE /ops/v1/codeLists/{kind}/entries/{id}          -> 200; 404 when there is none
 * `kind` is local, allowlist or blocklist (any case).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CodeListKind } from '../../domain/codes/lists.ts';
import type { StoredCodeListEntry } from '../../domain/codes/ports.ts';
import { CodeListEntryNotFound, DuplicateCodeListEntry, type CodeListManagement } from '../../domain/codes/use-cases.ts';
import { result } from '../../domain/errors.ts';
import { isoWithOffset } from '../../alipayplus/wire-time.ts';
import { parseWire } from '../validation.ts';

const kind = z
  .string()
  .transform((s) => s.toUpperCase())
  .pipe(z.enum(['LOCAL', 'ALLOWLIST', 'BLOCKLIST'], { message: 'must be local, allowlist or blocklist' }));
const id = z
  .string()
  .regex(/^[1-9][0-9]{0,17}$/, 'must be an entry id')
  .transform(BigInt);

const listParams = z.object({ kind });
const listQuery = z.object({
  afterId: id.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});
const entryParams = z.object({ kind, id });
const addBody = z.object({
  patternType: z.enum(['PREFIX', 'REGEX']),
  pattern: z.string().min(1),
  note: z.string().max(500).optional(),
});

interface EntryView {
  id: string;
  kind: CodeListKind;
  patternType: string;
  pattern: string;
  note?: string;
  createdAt: string;
}

function entryView(e: StoredCodeListEntry): EntryView {
  return {
    id: String(e.id),
    kind: e.kind,
    patternType: e.patternType,
    pattern: e.pattern,
    ...(e.note !== undefined && { note: e.note }),
    createdAt: isoWithOffset(e.createdAt),
  };
}

export async function codeListRoutes(app: FastifyInstance, deps: { readonly codeLists: CodeListManagement }): Promise<void> {
  app.get('/codeLists/:kind', async (req) => {
    const { kind: k } = parseWire(listParams, req.params);
    const { afterId, limit } = parseWire(listQuery, req.query);
    const entries = (await deps.codeLists.page(k, { ...(afterId !== undefined && { afterId }), limit })).map(entryView);
    const last = entries[entries.length - 1];
    return { result: result('SUCCESS'), kind: k, entries, ...(entries.length === limit && last && { nextAfterId: last.id }) };
  });

  app.post('/codeLists/:kind/entries', async (req, reply) => {
    const { kind: k } = parseWire(listParams, req.params);
    const body = parseWire(addBody, req.body);
    try {
      const entry = await deps.codeLists.add({ kind: k, ...body });
      req.log.info({ kind: k, id: String(entry.id), patternType: entry.patternType }, 'code list entry added');
      return reply.code(201).send({ result: result('SUCCESS'), entry: entryView(entry) });
    } catch (err) {
      if (err instanceof DuplicateCodeListEntry) {
        return reply.code(409).send({ result: result('PARAM_ILLEGAL', `${k} already holds this ${body.patternType} pattern`) });
      }
      throw err;
    }
  });

  app.delete('/codeLists/:kind/entries/:id', async (req, reply) => {
    const { kind: k, id: entryId } = parseWire(entryParams, req.params);
    try {
      await deps.codeLists.remove(k, entryId);
      req.log.info({ kind: k, id: String(entryId) }, 'code list entry removed');
      return { result: result('SUCCESS') };
    } catch (err) {
      if (err instanceof CodeListEntryNotFound) {
        return reply.code(404).send({ result: result('PARAM_ILLEGAL', `${k} has no entry ${entryId}`) });
      }
      throw err;
    }
  });
}
