/**
 * The wallet ledger in Postgres (migration 0005). `ledgerRepository(trx)` is bound to the caller's
 * transaction: the cashier's Pay can compare-and-set the payment, debit the wallet and enqueue the
 * notification in one commit.
 *
 * Guarantees, each held by the database and not only by this code:
 *   - a transfer's idempotency key is unique (claimed first with INSERT ... ON CONFLICT DO NOTHING);
 *   - a wallet never goes negative: the guarded UPDATE refuses it, the CHECK constraint
 *     `ledger_wallet_not_negative` backs it up (its violation is mapped to USER_BALANCE_NOT_ENOUGH);
 *   - every transfer balances per currency: checked here, and by the database (migration 0048:
 *     after each statement that inserts entries, and at commit for a transfer without entries),
 *     so a transfer's entries go in ONE statement;
 *   - entries and transfers are append-only (triggers refuse UPDATE and DELETE).
 * Accounts are locked (updated) in id order, so two transfers never wait on each other in a cycle.
 *
 * House sub-accounts (migration 0045): a house account (SETTLEMENT, SURCHARGE, FUNDING) is
 * HOUSE_ACCOUNT_SHARDS rows per currency. postTransfer posts a transfer's house legs to the one its
 * idempotency key picks (`houseShard`); a batch of gated transfers posts all of its house legs to
 * the one the batch is given (`houseShardRotation`). Without them every payment of a currency
 * updated, and held locked until COMMIT, the same SETTLEMENT row. A house balance is the sum of its
 * shards, so which shard a leg went to never matters to a balance or to a replay (sameLegs compares
 * AccountRefs, which have no shard). A wallet is one row (shard 0).
 */
import { randomInt } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { DomainError } from '../domain/errors.ts';
import type { CurrencyCode } from '../domain/money.ts';
import { type AccountRef, assertBalanced, type LedgerTransfer, type PostedLeg, sameLegs, type TransferRequest, transferKeys } from '../domain/wallet/ledger.ts';
import type { Ledger, LedgerQueries } from '../domain/wallet/ports.ts';
import type { Db, Database, LedgerAccountKind, LedgerTransferKind } from './schema.ts';

const WALLET_CHECK = 'ledger_wallet_not_negative';

/**
 * Rows per house account and currency. Raising it later is safe (balances are summed over whatever
 * shards exist; the migration's domain allows 0..255); lowering it only stops new postings to the rest.
 */
export const HOUSE_ACCOUNT_SHARDS = 16;

/** The house sub-account a transfer posts to: FNV-1a of its idempotency key, so a replay picks the same. */
export function houseShard(idempotencyKey: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < idempotencyKey.length; i++) {
    h ^= idempotencyKey.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % HOUSE_ACCOUNT_SHARDS;
}

/**
 * The house sub-account for each batch of gated transfers (gatedTransfersCtes): the next one each
 * time, from a random start. Every house leg of a batch then moves that one row once (a batch of
 * twelve pays locked and updated up to twelve SETTLEMENT rows when each transfer took its key's),
 * and the batches one instance has in flight at once, fewer than the shards, never lock the same
 * house row, so they never wait on each other's COMMIT. Instances start apart by chance.
 */
export function houseShardRotation(): () => number {
  let next = randomInt(HOUSE_ACCOUNT_SHARDS);
  return () => {
    const shard = next;
    next = (next + 1) % HOUSE_ACCOUNT_SHARDS;
    return shard;
  };
}

/** The row a leg's account is: the wallet's (shard 0) or the house account's shard for this transfer. */
const shardOf = (ref: AccountRef, idempotencyKey: string) => (ref.kind === 'CUSTOMER_WALLET' ? 0 : houseShard(idempotencyKey));

/** The CHECK constraint refused a negative wallet (23514 on `ledger_wallet_not_negative`). */
export function isNegativeWalletViolation(err: unknown): boolean {
  const e = err as { code?: unknown; constraint?: unknown } | null;
  return e?.code === '23514' && e.constraint === WALLET_CHECK;
}

function findAccountId(db: Db, ref: AccountRef, currency: string, shard: number): Promise<bigint | undefined> {
  let q = db.selectFrom('ledger_accounts').select('id').where('kind', '=', ref.kind).where('currency', '=', currency);
  q = ref.kind === 'CUSTOMER_WALLET' ? q.where('customer_id', '=', ref.customerId) : q.where('shard', '=', shard);
  return q.executeTakeFirst().then((r) => r?.id);
}

/**
 * The account's id, opening it on first use (wallets lazily; a house account's sub-accounts all at
 * once, the first time any is needed in a currency, so later transfers find theirs open).
 * The partial unique indexes decide races; the predicates are literals so Postgres can infer them.
 */
async function ensureAccountId(trx: Transaction<Database>, ref: AccountRef, currency: string, shard: number): Promise<bigint> {
  const found = await findAccountId(trx, ref, currency, shard);
  if (found !== undefined) return found;
  if (ref.kind === 'CUSTOMER_WALLET') {
    await sql`
      insert into ledger_accounts (kind, customer_id, currency) values ('CUSTOMER_WALLET', ${ref.customerId}, ${currency})
      on conflict (customer_id, currency) where kind = 'CUSTOMER_WALLET' do nothing`.execute(trx);
  } else {
    await sql`
      insert into ledger_accounts (kind, currency, shard)
      select ${ref.kind}, ${currency}, s from generate_series(0, ${HOUSE_ACCOUNT_SHARDS - 1}) s
      on conflict (kind, currency, shard) where kind <> 'CUSTOMER_WALLET' do nothing`.execute(trx);
  }
  const id = await findAccountId(trx, ref, currency, shard);
  if (id === undefined) throw new Error(`ledger account ${ref.kind} ${currency} could not be opened`);
  return id;
}

function toRef(kind: LedgerAccountKind, customerId: string | null): AccountRef {
  if (kind === 'CUSTOMER_WALLET') {
    if (customerId === null) throw new Error('wallet account without a customer');
    return { kind, customerId };
  }
  return { kind };
}

/** A transfer and its legs by idempotency key; `lock` holds the transfer row until the transaction ends. */
async function loadTransfer(db: Db, key: string, lock = false): Promise<LedgerTransfer | undefined> {
  const q = db.selectFrom('ledger_transfers').selectAll().where('idempotency_key', '=', key);
  const t = await (lock ? q.forUpdate() : q).executeTakeFirst();
  if (!t) return undefined;
  const entries = await db
    .selectFrom('ledger_entries as e')
    .innerJoin('ledger_accounts as a', 'a.id', 'e.account_id')
    .select(['e.account_id', 'e.currency', 'e.amount_minor', 'a.kind', 'a.customer_id'])
    .where('e.transfer_id', '=', t.id)
    .orderBy('e.id')
    .execute();
  return {
    id: t.id.toString(),
    kind: t.kind,
    idempotencyKey: t.idempotency_key,
    reference: t.reference,
    paymentId: t.payment_id ?? undefined,
    createdAt: t.created_at,
    legs: entries.map((e) => ({
      accountId: e.account_id.toString(),
      account: toRef(e.kind, e.customer_id),
      amount: { currency: e.currency.trim() as CurrencyCode, valueMinor: e.amount_minor },
    })),
  };
}

async function postTransfer(trx: Transaction<Database>, req: TransferRequest) {
  assertBalanced(req.legs);
  const claimed = await trx
    .insertInto('ledger_transfers')
    .values({
      kind: req.kind satisfies LedgerTransferKind,
      idempotency_key: req.idempotencyKey,
      reference: req.reference,
      payment_id: req.paymentId ?? null,
      created_at: req.at,
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returningAll()
    .executeTakeFirst();

  if (!claimed) {
    // The key is taken (ON CONFLICT waited for its owner to commit): same request -> replay.
    const first = await loadTransfer(trx, req.idempotencyKey);
    if (!first) throw new Error(`ledger transfer ${req.idempotencyKey} vanished`);
    const same = first.kind === req.kind && first.paymentId === (req.paymentId ?? undefined) && sameLegs(first.legs, req.legs);
    if (!same) throw new DomainError('REPEAT_REQ_INCONSISTENT', `idempotency key ${req.idempotencyKey} was used for another transfer`);
    return { transfer: first, replayed: true };
  }

  const resolved: { leg: TransferRequest['legs'][number]; accountId: bigint }[] = [];
  for (const leg of req.legs) {
    resolved.push({ leg, accountId: await ensureAccountId(trx, leg.account, leg.amount.currency, shardOf(leg.account, req.idempotencyKey)) });
  }
  resolved.sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0));

  const posted: PostedLeg[] = [];
  for (const { leg, accountId } of resolved) {
    const delta = leg.amount.valueMinor;
    let row: { balance_minor: bigint } | undefined;
    try {
      // The guard: a wallet is only debited while it holds enough. No row back -> not enough.
      row = await trx
        .updateTable('ledger_accounts')
        .set({ balance_minor: sql<bigint>`balance_minor + ${delta}` })
        .where('id', '=', accountId)
        .where((eb) => eb.or([eb('kind', '<>', 'CUSTOMER_WALLET'), eb(sql<bigint>`balance_minor + ${delta}`, '>=', 0n)]))
        .returning('balance_minor')
        .executeTakeFirst();
    } catch (err) {
      if (isNegativeWalletViolation(err)) throw new DomainError('USER_BALANCE_NOT_ENOUGH');
      throw err;
    }
    if (!row) throw new DomainError('USER_BALANCE_NOT_ENOUGH');
    posted.push({ ...leg, accountId: accountId.toString(), balanceAfter: row.balance_minor });
  }

  await trx
    .insertInto('ledger_entries')
    .values(
      resolved.map(({ leg, accountId }) => ({
        transfer_id: claimed.id,
        account_id: accountId,
        currency: leg.amount.currency,
        amount_minor: leg.amount.valueMinor,
      })),
    )
    .execute();

  const transfer: LedgerTransfer = {
    id: claimed.id.toString(),
    kind: claimed.kind,
    idempotencyKey: claimed.idempotency_key,
    reference: claimed.reference,
    paymentId: claimed.payment_id ?? undefined,
    createdAt: claimed.created_at,
    legs: posted,
  };
  return { transfer, replayed: false };
}

/** The Ledger port bound to one transaction. */
export function ledgerRepository(trx: Transaction<Database>): Ledger {
  return {
    transfer: (req) => postTransfer(trx, req),
    findTransfer: (key) => loadTransfer(trx, key),
    lockPaymentDebit: (paymentId) => loadTransfer(trx, transferKeys.payment(paymentId), true),
    async heldForPayment(paymentId) {
      const rows = await trx
        .selectFrom('ledger_entries as e')
        .innerJoin('ledger_transfers as t', 't.id', 'e.transfer_id')
        .innerJoin('ledger_accounts as a', 'a.id', 'e.account_id')
        .select(['a.kind', sql<bigint>`sum(e.amount_minor)::int8`.as('held')])
        .where('t.payment_id', '=', paymentId)
        .where('a.kind', 'in', ['SETTLEMENT', 'SURCHARGE'])
        .groupBy('a.kind')
        .execute();
      const of = (kind: LedgerAccountKind) => rows.find((r) => r.kind === kind)?.held ?? 0n;
      return { settlement: of('SETTLEMENT'), surcharge: of('SURCHARGE') };
    },
  };
}

/** Reads that need no transaction. */
export function ledgerQueries(db: Db): LedgerQueries {
  return {
    async balanceOf(customerId, currency) {
      const row = await db
        .selectFrom('ledger_accounts')
        .select('balance_minor')
        .where('kind', '=', 'CUSTOMER_WALLET')
        .where('customer_id', '=', customerId)
        .where('currency', '=', currency)
        .executeTakeFirst();
      return row?.balance_minor ?? 0n;
    },
  };
}

/**
 * Transfers as CTEs of a caller's statement, each posted only when its payment is among the ids
 * the CTE named `gate` yields (the synchronous pays' created orders): the same rules as
 * postTransfer, in one round trip with the rest of that statement, for a whole batch at once.
 *
 * The house legs all go to the sub-account `houseShardOfBatch` (houseShardRotation's), and the legs
 * of the posted transfers are summed per account (two pays of one wallet, or every house leg of one
 * kind, move that row once), the accounts are locked in id order (FOR UPDATE
 * ... ORDER BY id, so two statements never wait on each other in a cycle), a wallet is debited only
 * while it holds the batch's whole sum (the guarded UPDATE, re-checked on the row's latest
 * version), each transfer gets its own entries, and the statement's trigger checks each transfer's
 * balance (migration 0048). The caller selects `gatedTransfersCheck`, which aborts the whole statement
 * (migration 0046's mpp_abort) when an account was never opened (GATED_TRANSFER_ABORT.
 * accountNotOpened: the caller uses postTransfer instead) or when a wallet lacked the money
 * (.balanceNotEnough): nothing of the statement is left, so it needs no transaction of its own, and
 * a batch that aborts is written again pay by pay (group-commit.ts), so only the short wallet's pay
 * fails.
 */
export function gatedTransfersCtes(reqs: readonly TransferRequest[], gate: string, houseShardOfBatch: number) {
  if (!Number.isInteger(houseShardOfBatch) || houseShardOfBatch < 0 || houseShardOfBatch >= HOUSE_ACCOUNT_SHARDS) {
    throw new RangeError(`house shard ${houseShardOfBatch} is not one of 0..${HOUSE_ACCOUNT_SHARDS - 1}`);
  }
  const legs: { t: number; kind: string; customerId: string | null; currency: string; shard: number; amount: bigint }[] = [];
  reqs.forEach((req, i) => {
    assertBalanced(req.legs);
    if (req.paymentId === undefined) throw new Error(`a gated transfer belongs to a payment (${req.idempotencyKey})`);
    const currency = req.legs[0]!.amount.currency;
    if (req.legs.some((l) => l.amount.currency !== currency)) throw new Error('a gated transfer is in one currency');
    for (const l of req.legs) {
      const customerId = l.account.kind === 'CUSTOMER_WALLET' ? l.account.customerId : null;
      legs.push({ t: i + 1, kind: l.account.kind, customerId, currency, shard: customerId === null ? houseShardOfBatch : 0, amount: l.amount.valueMinor });
    }
  });
  const t = <T>(pick: (r: TransferRequest) => T) => reqs.map(pick);
  const l = <T>(pick: (leg: (typeof legs)[number]) => T) => legs.map(pick);
  const g = sql.raw(gate);
  return sql`
    transfer_input as (
      select * from unnest(${t((r) => r.kind)}::text[], ${t((r) => r.idempotencyKey)}::text[], ${t((r) => r.reference)}::text[],
                           ${t((r) => r.paymentId)}::text[], ${t((r) => r.at.toISOString())}::timestamptz[])
             with ordinality as x(kind, idempotency_key, reference, payment_id, created_at, n)
    ), legs as (
      select * from unnest(${l((x) => x.t)}::int8[], ${l((x) => x.kind)}::text[], ${l((x) => x.customerId)}::text[],
                           ${l((x) => x.currency)}::text[], ${l((x) => x.shard)}::int2[], ${l((x) => x.amount)}::int8[])
             as l(t, kind, customer_id, currency, shard, amount)
    ), posting as (
      select x.* from transfer_input x where x.payment_id in (select id from ${g})
    ), wanted as (
      select l.kind, l.customer_id, l.currency, l.shard, sum(l.amount)::int8 as amount
        from legs l join posting p on p.n = l.t
       group by l.kind, l.customer_id, l.currency, l.shard
    ), locked as (
      select a.id, w.kind, w.customer_id, w.currency, w.shard, w.amount from ledger_accounts a
        join wanted w on a.kind = w.kind and a.currency = w.currency::char(3) and a.customer_id is not distinct from w.customer_id and a.shard = w.shard
       order by a.id
         for update of a
    ), moved as (
      update ledger_accounts a set balance_minor = a.balance_minor + locked.amount
        from locked
       where a.id = locked.id and (a.kind <> 'CUSTOMER_WALLET' or a.balance_minor + locked.amount >= 0)
      returning a.id
    ), transfer as (
      insert into ledger_transfers (kind, idempotency_key, reference, payment_id, created_at)
      select p.kind, p.idempotency_key, p.reference, p.payment_id, p.created_at from posting p order by p.n
      returning id, idempotency_key
    ), entries as (
      insert into ledger_entries (transfer_id, account_id, currency, amount_minor)
      select x.id, a.id, l.currency, l.amount
        from legs l
        join posting p on p.n = l.t
        join transfer x on x.idempotency_key = p.idempotency_key
        join locked a on a.kind = l.kind and a.currency = l.currency and a.customer_id is not distinct from l.customer_id and a.shard = l.shard
    )`;
}

/** The SQLSTATEs with which gatedTransfersCheck aborts its statement. */
export const GATED_TRANSFER_ABORT = { accountNotOpened: 'MPA01', balanceNotEnough: 'MPB01' } as const;

/** Whether `err` is gatedTransfersCheck's abort for `reason`. */
export function isGatedTransferAbort(err: unknown, reason: keyof typeof GATED_TRANSFER_ABORT): boolean {
  return (err as { code?: unknown } | null)?.code === GATED_TRANSFER_ABORT[reason];
}

/**
 * The scalar that gatedTransfersCtes's caller selects: the number of transfers posted (0 when the
 * gate let none through); otherwise it aborts the statement with a GATED_TRANSFER_ABORT SQLSTATE.
 */
export const gatedTransfersCheck = sql`(select case
    when (select count(*) from locked) < (select count(*) from wanted) then mpp_abort(${GATED_TRANSFER_ABORT.accountNotOpened}, 'ledger account not opened yet')
    when (select count(*) from moved) < (select count(*) from locked) then mpp_abort(${GATED_TRANSFER_ABORT.balanceNotEnough}, 'wallet balance not enough')
    else (select count(*) from posting)::int4 end)`;
