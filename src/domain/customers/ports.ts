import type { Customer, CustomerStatus } from './customer.ts';

export interface CustomerRepository {
  find(id: string): Promise<Customer | undefined>;
  /** Inserts, created at `now`; returns undefined when the id is taken. */
  insert(c: Omit<Customer, 'createdAt'>, now: Date): Promise<Customer | undefined>;
  setStatus(id: string, status: CustomerStatus, now: Date): Promise<Customer | undefined>;
}
