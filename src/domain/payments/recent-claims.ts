/**
 * The keys (pspId, paymentRequestId) this process has seen claimed, most recent last, at most
 * `capacity` of them. Only a hint for pay: a repeat of one of them is answered from the claim's
 * lookup (one read) instead of the accepting statement, which would write nothing and read the
 * same columns after building a new order it throws away. Whatever the hint says, the database
 * decides: a key that is not claimed any more goes the usual way.
 */
export class RecentClaims {
  private readonly keys = new Set<string>();

  constructor(private readonly capacity = 4096) {}

  has(pspId: string, paymentRequestId: string): boolean {
    return this.keys.has(keyOf(pspId, paymentRequestId));
  }

  add(pspId: string, paymentRequestId: string): void {
    const key = keyOf(pspId, paymentRequestId);
    if (this.keys.has(key)) return;
    if (this.keys.size >= this.capacity) this.keys.delete(this.keys.values().next().value!);
    this.keys.add(key);
  }
}

const keyOf = (pspId: string, paymentRequestId: string) => `${pspId}\u0000${paymentRequestId}`;
