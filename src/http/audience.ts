/** What every audience plugin (alipayplus/, app/, cashier/, ops/) is registered with. */
import type { Config } from '../config.ts';
import type { Clock, KeyValueStore } from '../domain/ports.ts';
import type { Secrets } from '../secrets.ts';
import type { Services } from '../wiring.ts';

export interface AudienceOptions {
  readonly config: Config;
  readonly secrets: Secrets;
  readonly kv: KeyValueStore;
  readonly clock: Clock;
  readonly services: Services;
}
