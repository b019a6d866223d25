/**
 * §6 background work, on the job loop's 1 s idle tick: each runOnce(now) asks "is it due at
 * now?" and returns 0 when not, so the cadence lives in the domain objects, not in timers.
 * - code-rules-refresher: inquiryCodeRules every 30 minutes, 2 minutes after a failure;
 * - code-lists-poller: the lists' version every 2 s, recompiled when it moved (the identify path
 *   checks too; this keeps an idle instance fresh).
 */
import type { CodeListCache } from '../domain/codes/list-cache.ts';
import type { CodeRuleBook } from '../domain/codes/rule-book.ts';
import type { Job } from './loop.ts';

export const CODE_RULES_REFRESHER = 'code-rules-refresher';
export const CODE_LISTS_POLLER = 'code-lists-poller';

export function codeRulesRefresher(book: CodeRuleBook): Job {
  return { name: CODE_RULES_REFRESHER, runOnce: (now) => book.refreshIfDue(now) };
}

export function codeListsPoller(cache: CodeListCache): Job {
  return { name: CODE_LISTS_POLLER, runOnce: (now) => cache.refreshIfDue(now) };
}
