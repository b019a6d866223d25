/**
 * Code identification data for the identify bench (§6): a rule set of the size a production
 * Alipay+ set reaches (1,000 rules, the real examples of §7 among generated ones, in the wire shape
 * inquiryCodeRules answers with), 10,000 list entries for the ops API, and the code values the bench
 * sends: one of each kind the service tells apart.
 */
import { crc16Ccitt, formatCrc } from '../../src/domain/codes/emvco.ts';

const matchResult = (m: Record<string, string>) => JSON.stringify({ matchResult: JSON.stringify(m) });
/** An EMVCO rule's extendInfo: the SDK reads its pattern from matchPattern (code-identification-sdk.md fact 5). */
const emvInfo = (m: Record<string, string>, guid: string, priority: number) =>
  JSON.stringify({ matchResult: JSON.stringify(m), matchPattern: JSON.stringify({ primitiveMai: false, priority, merchantMaiRestrictions: { '00': guid } }) });

/** `count` rules: the §7 examples, then PREFIX (70%), REGEX (20%) and EMVCO (10%) fillers. */
export function generateCodeRules(count: number): unknown[] {
  const rules: unknown[] = [
    {
      codeMatchPattern: { matchMethod: 'PREFIX', priority: 1000, prefix: 'https://qr.alipayplus.com/28166613' },
      postCodeMatchAction: { postCodeMatchActionType: 'DECODE' },
      extendInfo: matchResult({ routerType: 'AC_CODE', trust: 'Y' }),
    },
    {
      codeMatchPattern: {
        matchMethod: 'EMVCO',
        priority: 10000,
        emvMatchRules: [{ primitiveMerchant: false, extendedMerchantTag: '00', extendedMerchantValue: 'com.alipayplus' }],
      },
      postCodeMatchAction: { postCodeMatchActionType: 'DECODE' },
      extendInfo: emvInfo({ routerType: 'AC_CODE' }, 'com.alipayplus', 10000),
    },
    {
      codeMatchPattern: { matchMethod: 'PREFIX', priority: 2000, prefix: 'https://g.alipayplus.com/page/' },
      postCodeMatchAction: {
        postCodeMatchActionType: 'OPEN_URL',
        urlConstructionMethod: 'CONSTRUCT_DYNAMIC_URL',
        dynamicUrlExpression: 'https://render.alipayplus.com/entry?code=${codeValue}&issuer=${issuer}',
      },
      extendInfo: matchResult({ routerType: 'ENTRY_CODE' }),
    },
  ];
  for (let i = rules.length; i < count; i++) {
    const kind = i % 10;
    const codeMatchPattern =
      kind < 7
        ? { matchMethod: 'PREFIX', priority: 5000 + (i % 100), prefix: `https://pay-${i}.bench-acquirer.example/qr/` }
        : kind < 9
          ? { matchMethod: 'REGEX', priority: 6000 + (i % 100), regex: `^https://r${i}\\.bench-acquirer\\.example/[0-9]{4,12}$` }
          : {
              matchMethod: 'EMVCO',
              priority: 7000 + (i % 100),
              emvMatchRules: [{ primitiveMerchant: false, extendedMerchantTag: '00', extendedMerchantValue: `com.bench${i}` }],
            };
    const extendInfo = kind === 9 ? emvInfo({ routerType: 'AC_CODE' }, `com.bench${i}`, 7000 + (i % 100)) : matchResult({ routerType: 'AC_CODE' });
    rules.push({ codeMatchPattern, postCodeMatchAction: { postCodeMatchActionType: 'DECODE' }, extendInfo });
  }
  return rules;
}

export type ListKind = 'LOCAL' | 'ALLOWLIST';

export interface ListEntry {
  readonly kind: ListKind;
  readonly patternType: 'PREFIX' | 'REGEX';
  readonly pattern: string;
}

/** `count` entries: 10% local codes, the rest allowlist; 1% regexes, 99% prefixes. */
export function generateListEntries(count: number): ListEntry[] {
  return Array.from({ length: count }, (_, i): ListEntry => {
    const kind: ListKind = i % 10 === 0 ? 'LOCAL' : 'ALLOWLIST';
    if (i % 100 === 1) return { kind, patternType: 'REGEX', pattern: `^https://re-${i}\\.bench-list\\.example/[0-9]{1,10}$` };
    return {
      kind,
      patternType: 'PREFIX',
      pattern: kind === 'LOCAL' ? `https://wallet.bench-local.example/${i}/` : `https://allow-${i}.bench-list.example/`,
    };
  });
}

const tlv = (tag: string, value: string) => `${tag}${String(value.length).padStart(2, '0')}${value}`;

/** An EMVCo merchant-presented QR with its CRC, carrying `merchantValue` in template 26 sub-tag 00. */
export function emvQr(merchantValue: string): string {
  const body =
    tlv('00', '01') +
    tlv('01', '12') +
    tlv('26', tlv('00', merchantValue) + tlv('01', 'M0000001234')) +
    tlv('52', '5812') +
    tlv('53', '392') +
    tlv('54', '100') +
    tlv('58', 'JP') +
    tlv('59', 'BENCH STORE') +
    tlv('60', 'TOKYO') +
    '6304';
  return body + formatCrc(crc16Ccitt(body));
}

/** One code of each kind; the list entries must include index 41 (allowlist) and 30 (local). */
export function sampleCodeValues(): { readonly all: string[]; readonly allowlisted: string } {
  const allowlisted = 'https://allow-41.bench-list.example/pay?o=1';
  return {
    allowlisted,
    all: [
      'https://qr.alipayplus.com/28166613000000123456', // §7 order code: DECODE
      emvQr('com.alipayplus'), // §7 EMVCo: DECODE
      'https://g.alipayplus.com/page/store-1?x=1', // §7 entry code: OPEN_URL
      allowlisted, // ours, by the allowlist
      'https://wallet.bench-local.example/30/abc', // ours, a local code
      'https://unknown.example.com/nothing-matches-this-code', // no rule: isAcCode false (all rules tried)
    ],
  };
}
