import { randomUUID } from 'node:crypto';
import { DomainError } from '../errors.ts';
import type { Customer, CustomerStatus } from './customer.ts';
import { validateNewCustomer } from './customer.ts';
import type { Clock } from '../ports.ts';
import type { CustomerRepository } from './ports.ts';

export class CustomerExists extends Error {
  constructor(readonly customerId: string) {
    super(`customer ${customerId} exists`);
  }
}

export interface CustomerDeps {
  readonly repo: CustomerRepository;
  readonly clock: Clock;
}

export function customerUseCases(deps: CustomerDeps) {
  const { repo, clock } = deps;
  return {
    async create(input: { customerId?: string; currency: string; status?: CustomerStatus }): Promise<Customer> {
      const c = {
        id: input.customerId ?? `C${randomUUID().replace(/-/g, '')}`,
        currency: input.currency,
        status: input.status ?? 'NORMAL',
      } as const;
      validateNewCustomer(c);
      const created = await repo.insert(c, clock.now());
      if (!created) throw new CustomerExists(c.id);
      return created;
    },
    async setStatus(customerId: string, status: CustomerStatus): Promise<Customer> {
      const c = await repo.setStatus(customerId, status, clock.now());
      if (!c) throw new DomainError('USER_NOT_EXIST');
      return c;
    },
    async get(customerId: string): Promise<Customer> {
      const c = await repo.find(customerId);
      if (!c) throw new DomainError('USER_NOT_EXIST');
      return c;
    },
  };
}
export type CustomerUseCases = ReturnType<typeof customerUseCases>;
