/** Wallet use cases for ops: top up a customer's wallet, read its balance. */
import { randomUUID } from 'node:crypto';
import { DomainError, ParamIllegal } from '../errors.ts';
import type { Money } from '../money.ts';
import type { Clock, UnitOfWork } from '../ports.ts';
import { house, type LedgerTransfer, transferKeys, wallet } from './ledger.ts';
import type { LedgerQueries, WalletRepos } from './ports.ts';

export interface TopUpInput {
  readonly customerId: string;
  readonly amount: Money;
  /** The caller's key: a repeat with the same key and amount tops up once. Absent: a new top-up each call. */
  readonly idempotencyKey?: string | undefined;
  /** Who asked (the ops token's label) and why: recorded with the transfer (issue 16). */
  readonly audit?: { readonly actor: string; readonly reason: string } | undefined;
}

export interface TopUpResult {
  readonly transfer: LedgerTransfer;
  /** The wallet balance after the top-up (now, on a replay). */
  readonly balance: Money;
  readonly replayed: boolean;
}

export interface WalletDeps {
  readonly uow: UnitOfWork<WalletRepos>;
  readonly queries: LedgerQueries;
  readonly clock: Clock;
  /** The largest single top-up per currency, minor units (issue 16); a currency absent here has no cap. */
  readonly maxTopUp?: Readonly<Record<string, bigint>>;
}

export function walletUseCases(deps: WalletDeps) {
  return {
    /**
     * Moves `amount` from FUNDING into the customer's wallet. Unknown customer -> USER_NOT_EXIST;
     * a currency other than the wallet's or a zero amount -> PARAM_ILLEGAL naming the field. A
     * frozen customer can still be topped up (freezing stops payments, not deposits).
     */
    async topUp(input: TopUpInput): Promise<TopUpResult> {
      if (input.amount.valueMinor <= 0n) throw new ParamIllegal('amount.value', 'must be greater than 0');
      const cap = deps.maxTopUp?.[input.amount.currency];
      if (cap !== undefined && input.amount.valueMinor > cap) {
        throw new ParamIllegal('amount.value', `is above the maximum top-up of ${cap} ${input.amount.currency} (minor units)`);
      }
      const key = transferKeys.topUp(input.idempotencyKey ?? randomUUID());
      const { transfer, replayed } = await deps.uow.run(async ({ ledger, customers, topUps }) => {
        const customer = await customers.find(input.customerId);
        if (!customer) throw new DomainError('USER_NOT_EXIST');
        if (customer.currency !== input.amount.currency) {
          throw new ParamIllegal('amount.currency', `the wallet of ${customer.id} is in ${customer.currency}`);
        }
        const at = deps.clock.now();
        const outcome = await ledger.transfer({
          kind: 'TOP_UP',
          idempotencyKey: key,
          reference: key,
          legs: [
            { account: house('FUNDING'), amount: { ...input.amount, valueMinor: -input.amount.valueMinor } },
            { account: wallet(customer.id), amount: input.amount },
          ],
          at,
        });
        // Who and why, once per transfer, in its transaction (a replay moved nothing and records nothing).
        if (!outcome.replayed && input.audit && topUps) {
          await topUps.record({
            transferId: outcome.transfer.id,
            customerId: customer.id,
            amount: input.amount,
            idempotencyKey: input.idempotencyKey ?? key,
            actor: input.audit.actor,
            reason: input.audit.reason,
            createdAt: at,
          });
        }
        return outcome;
      });
      // A replay moved nothing and carries no balance: read the current one (after the commit).
      const balanceMinor =
        transfer.legs.find((l) => l.account.kind === 'CUSTOMER_WALLET')?.balanceAfter ?? (await deps.queries.balanceOf(input.customerId, input.amount.currency));
      return { transfer, replayed, balance: { currency: input.amount.currency, valueMinor: balanceMinor } };
    },

    balanceOf(customerId: string, currency: string): Promise<bigint> {
      return deps.queries.balanceOf(customerId, currency);
    },
  };
}

export type WalletUseCases = ReturnType<typeof walletUseCases>;
