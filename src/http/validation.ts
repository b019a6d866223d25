/** Parses a wire body with a zod schema; the first problem becomes F PARAM_ILLEGAL naming the field. */
import type { z } from 'zod';
import { ParamIllegal } from '../domain/errors.ts';

export function parseWire<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.length ? issue.path.join('.') : 'body';
  const reason = issue?.code === 'invalid_type' && issue.message.includes('undefined') ? 'missing' : (issue?.message ?? 'invalid');
  throw new ParamIllegal(field, reason);
}
