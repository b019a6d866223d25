import { ParamIllegal } from '../errors.ts';
import type { Clock, UnitOfWork } from '../ports.ts';
import { codeValueProblem, InvalidCodeValue } from './code-value.ts';
import type { CodeListCache } from './list-cache.ts';
import { checkListPattern, fromRules, identifyCode, type CodeIdentification, type CodeListKind, type IdentificationMode } from './lists.ts';
import { answerFromRemote } from './matcher.ts';
import type { CodeListRepository, NewCodeListEntry, RemoteCodeIdentification, StoredCodeListEntry } from './ports.ts';
import type { CodeRuleBook } from './rule-book.ts';

/** §6 code identification, and the ops management of its lists. */

// ---- identify (app -> MPP server, seed step 3) ----

export interface IdentifyDeps {
  readonly mode: IdentificationMode;
  readonly lists: CodeListCache;
  readonly rules: CodeRuleBook;
  /** Our Alipay+ client id: `${issuer}` in dynamic URLs. */
  readonly issuer: string;
  readonly clock: Clock;
  /** Alipay+ remote identification for untrusted rules (fact 12); absent: such codes are not supported. */
  readonly remote?: RemoteCodeIdentification;
}

export function codeIdentification(deps: IdentifyDeps) {
  return {
    /** @throws InvalidCodeValue (F PARAM_ILLEGAL) for a blank code or one longer than 8192. */
    async identify(codeValue: string): Promise<CodeIdentification> {
      // Refuse bad input before touching the lists (and so the database).
      const problem = codeValueProblem(codeValue);
      if (problem) throw new InvalidCodeValue(problem);
      const lists = await deps.lists.current(deps.clock.now());
      const options = { issuer: deps.issuer };
      const local = identifyCode({ mode: deps.mode, lists, ruleSet: deps.rules.ruleSet(), codeValue, ...options });
      if (local.isAcCode !== undefined) return local;
      // Fact 12: the winning rule is untrusted; Alipay+ answers, and a failure is "not supported".
      const remote = deps.remote ? await deps.remote.identify(codeValue) : undefined;
      return fromRules(answerFromRemote(local, remote, options));
    },
  };
}
export type CodeIdentificationUseCase = ReturnType<typeof codeIdentification>;

// ---- ops: the lists ----

/** Bytes, so that the unique key's btree row always fits (migration 0006). */
export const MAX_LIST_PATTERN_BYTES = 2048;
export const MAX_LIST_NOTE_LENGTH = 500;
export const MAX_LIST_PAGE = 10_000;

export class DuplicateCodeListEntry extends Error {
  constructor(readonly entry: NewCodeListEntry) {
    super(`${entry.kind} already holds the ${entry.patternType} pattern`);
    this.name = 'DuplicateCodeListEntry';
  }
}

export class CodeListEntryNotFound extends Error {
  constructor(
    readonly kind: CodeListKind,
    readonly id: bigint,
  ) {
    super(`${kind} has no entry ${id}`);
    this.name = 'CodeListEntryNotFound';
  }
}

export interface CodeListDeps {
  readonly uow: UnitOfWork<{ codeLists: CodeListRepository }>;
  readonly reads: CodeListRepository;
  /** This instance's compiled copy: invalidated after each change so it applies here at once. */
  readonly cache: CodeListCache;
}

const utf8 = new TextEncoder();

export function codeListManagement(deps: CodeListDeps) {
  return {
    async page(kind: CodeListKind, o: { afterId?: bigint; limit: number }): Promise<readonly StoredCodeListEntry[]> {
      return deps.reads.page(kind, { ...o, limit: Math.min(Math.max(o.limit, 1), MAX_LIST_PAGE) });
    },

    /**
     * Adds an entry and bumps the lists' version in one transaction.
     * @throws ParamIllegal naming why the pattern is refused; DuplicateCodeListEntry.
     */
    async add(entry: NewCodeListEntry): Promise<StoredCodeListEntry> {
      checkNewEntry(entry);
      const stored = await deps.uow.run(async ({ codeLists }) => {
        const inserted = await codeLists.insert(entry);
        if (inserted) await codeLists.bumpVersion();
        return inserted;
      });
      if (!stored) throw new DuplicateCodeListEntry(entry);
      deps.cache.invalidate();
      return stored;
    },

    /** Removes an entry and bumps the version in one transaction. @throws CodeListEntryNotFound. */
    async remove(kind: CodeListKind, id: bigint): Promise<void> {
      const removed = await deps.uow.run(async ({ codeLists }) => {
        const done = await codeLists.remove(kind, id);
        if (done) await codeLists.bumpVersion();
        return done;
      });
      if (!removed) throw new CodeListEntryNotFound(kind, id);
      deps.cache.invalidate();
    },
  };
}
export type CodeListManagement = ReturnType<typeof codeListManagement>;

/** The same check the compiler applies (a REGEX must compile for RE2 within its budget), plus storage bounds. */
function checkNewEntry(entry: NewCodeListEntry): void {
  if (utf8.encode(entry.pattern).length > MAX_LIST_PATTERN_BYTES) {
    throw new ParamIllegal('pattern', `longer than ${MAX_LIST_PATTERN_BYTES} bytes`);
  }
  const check = checkListPattern(entry.patternType, entry.pattern);
  if (!check.ok) throw new ParamIllegal('pattern', check.reason);
  if (entry.note !== undefined && entry.note.length > MAX_LIST_NOTE_LENGTH) {
    throw new ParamIllegal('note', `longer than ${MAX_LIST_NOTE_LENGTH} characters`);
  }
}
