import { ParamIllegal } from '../errors.ts';

/** §6: "A code value longer than 8192 or blank -> F PARAM_ILLEGAL". */
export const MAX_CODE_VALUE_LENGTH = 8192;

export type CodeValueProblem = 'BLANK' | 'TOO_LONG';

/** A code value the contract refuses to identify; the HTTP mapper answers it F PARAM_ILLEGAL. */
export class InvalidCodeValue extends ParamIllegal {
  constructor(readonly problem: CodeValueProblem) {
    super('codeValue', problem === 'BLANK' ? 'must not be blank' : `longer than ${MAX_CODE_VALUE_LENGTH} characters`);
    this.name = 'InvalidCodeValue';
  }
}

/** The problem with a code value, or undefined when it may be identified. */
export function codeValueProblem(codeValue: string): CodeValueProblem | undefined {
  if (codeValue.length > MAX_CODE_VALUE_LENGTH) return 'TOO_LONG';
  if (codeValue.trim() === '') return 'BLANK';
  return undefined;
}
