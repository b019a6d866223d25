import type { Selectable } from 'kysely';
import type { Customer } from '../domain/customers/customer.ts';
import type { CustomerRepository } from '../domain/customers/ports.ts';
import type { CustomersTable, Db } from './schema.ts';
export function toCustomer(row: Pick<Selectable<CustomersTable>, 'id' | 'status' | 'currency' | 'created_at'>): Customer {
  return { id: row.id, status: row.status, currency: row.currency.trim(), createdAt: row.created_at };
}

export function findCustomer(db: Db, id: string): Promise<Customer | undefined> {
  return db
    .selectFrom('customers')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst()
    .then((r) => (r ? toCustomer(r) : undefined));
}

export function customerRepository(db: Db): CustomerRepository {
  return {
    find: (id) => findCustomer(db, id),
    async insert(c, now) {
      const row = await db
        .insertInto('customers')
        .values({ id: c.id, status: c.status, currency: c.currency, created_at: now, updated_at: now })
        .onConflict((oc) => oc.column('id').doNothing())
        .returningAll()
        .executeTakeFirst();
      return row ? toCustomer(row) : undefined;
    },
    async setStatus(id, status, now) {
      const row = await db.updateTable('customers').set({ status, updated_at: now }).where('id', '=', id).returningAll().executeTakeFirst();
      return row ? toCustomer(row) : undefined;
    },
  };
}
