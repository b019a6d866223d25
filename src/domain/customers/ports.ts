import type { Customer, CustomerStatus } from './customer.ts';

export interface CustomerRepository {
  find(id: string): Promise<Customer | undefined>;
  /** Inserts; returns undefined when the id is taken. */
  insert(c: Omit<Customer, 'createdAt'>): Promise<Customer | undefined>;
  setStatus(id: string, status: CustomerStatus): Promise<Customer | undefined>;
}
