/**
 * The response checker that keeps openapi.yaml and the code from drifting apart: it finds the
 * documented operation of a request (path templates such as `/app/v1/payments/{paymentId}`),
 * the documented response of its status (exact, then `4XX`-style ranges, then `default`), checks
 * the content type and the required headers, and validates a JSON body against the schema with
 * ajv (OpenAPI 3.1 = JSON Schema 2020-12) in strict mode. Anything undocumented throws a readable
 * OpenApiDriftError.
 *
 * The harness runs it on every `app.inject` of `testApp()` (see `checkResponsesAgainstOpenApi`),
 * so every HTTP test checks the live responses; a test that hits an undocumented path on purpose
 * sends the header `x-test-skip-openapi: 1`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import formatsModule from 'ajv-formats';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { load as parseYaml } from 'js-yaml';
import { repoDir } from './shared.ts';

export const OPENAPI_PATH = join(repoDir, 'openapi.yaml');
/** Send it (value `1`) on a request that means to hit an undocumented path, e.g. a 404 test. */
export const SKIP_OPENAPI_HEADER = 'x-test-skip-openapi';

type Json = Record<string, unknown>;

export class OpenApiDriftError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpenApiDriftError';
  }
}

// ajv-formats is CommonJS with a default export; under NodeNext its default import is the module.
const addFormats = ((formatsModule as unknown as { default?: typeof formatsModule }).default ?? formatsModule) as unknown as (ajv: Ajv2020) => Ajv2020;

const SCHEMA_REF = /^#\/components\/schemas\/([^/]+)$/;
const schemaUri = (name: string) => `https://openapi.test/schemas/${name}`;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Schema refs become absolute ids registered with ajv; everything else is copied as is. */
function rewriteSchemaRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteSchemaRefs);
  if (typeof value !== 'object' || value === null) return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    const m = k === '$ref' && typeof v === 'string' ? SCHEMA_REF.exec(v) : null;
    out[k] = m ? schemaUri(decodeURIComponent(m[1]!)) : rewriteSchemaRefs(v);
  }
  return out;
}

const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

interface Loaded {
  readonly doc: Json;
  readonly ajv: Ajv2020;
  readonly validators: Map<string, ValidateFunction>;
}

let loaded: Loaded | undefined;

function load(): Loaded {
  if (loaded) return loaded;
  const doc = parseYaml(readFileSync(OPENAPI_PATH, 'utf8')) as Json;
  // strict: unknown keywords (typos) and bad numbers or tuples throw at compile time instead of
  // validating nothing. Off: strictTypes (it wants `type: object` repeated in every `allOf`
  // branch of an object schema) and strictRequired (it cannot see that the properties an
  // `if/then` requires are declared by the enclosing schema); test/unit/openapi.test.ts checks
  // that every required property is declared, `then` clauses included.
  const ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allErrors: true });
  addFormats(ajv);
  // OpenAPI's own annotations inside Schema Objects.
  ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs']);
  const schemas = ((doc.components as Json | undefined)?.schemas ?? {}) as Json;
  for (const [name, schema] of Object.entries(schemas)) ajv.addSchema(rewriteSchemaRefs(schema) as object, schemaUri(name));
  loaded = { doc, ajv, validators: new Map() };
  return loaded;
}

/** The parsed document (for tests that look at it). */
export function openApiDocument(): Json {
  return load().doc;
}

/** Follows a local `$ref` (responses, parameters, headers, path items); returns the target and its pointer. */
function deref(value: unknown, pointer: string): { value: Json; pointer: string } {
  let v = value as Json;
  let p = pointer;
  for (let hops = 0; typeof v?.$ref === 'string'; hops++) {
    const ref = v.$ref as string;
    if (!ref.startsWith('#/') || hops > 10) throw new OpenApiDriftError(`openapi.yaml: unsupported $ref ${ref} at ${p}`);
    p = ref;
    v = ref
      .slice(2)
      .split('/')
      .map((s) => decodeURIComponent(s).replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, key) => (node as Json | undefined)?.[key], load().doc) as Json;
    if (v === undefined) throw new OpenApiDriftError(`openapi.yaml: $ref ${ref} points nowhere`);
  }
  return { value: v, pointer: p };
}

function validatorAt(pointer: string, schema: unknown): ValidateFunction {
  const { ajv, validators } = load();
  let v = validators.get(pointer);
  if (!v) {
    v = ajv.compile(rewriteSchemaRefs(schema) as object);
    validators.set(pointer, v);
  }
  return v;
}

interface FoundOperation {
  readonly template: string;
  readonly operation: Json;
  readonly pointer: string;
}

function pathTemplates(): string[] {
  return Object.keys((load().doc.paths ?? {}) as Json);
}

function templateRegex(template: string): RegExp {
  const parts = template.split('/').map((seg) => (/^\{[^}]+\}$/.test(seg) ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${parts.join('/')}$`);
}

/** The documented operation for a method and a concrete path (query ignored). */
export function findOperation(method: string, url: string): FoundOperation {
  const path = url.split('?')[0]!.split('#')[0]!;
  const paths = (load().doc.paths ?? {}) as Json;
  let template: string | undefined = path in paths ? path : undefined;
  if (!template) {
    // The most specific template wins: the one with the most literal segments.
    const literalCount = (t: string) => t.split('/').filter((s) => !s.startsWith('{')).length;
    template = pathTemplates()
      .filter((t) => t.includes('{') && templateRegex(t).test(path))
      .sort((a, b) => literalCount(b) - literalCount(a))[0];
  }
  if (!template) {
    throw new OpenApiDriftError(
      `openapi.yaml documents no path matching ${method.toUpperCase()} ${path}.\n` +
        `Document the route, or send "${SKIP_OPENAPI_HEADER}: 1" from a test that hits an undocumented path on purpose.`,
    );
  }
  const itemPointer = `#/paths/${escapePointer(template)}`;
  const { value: item, pointer } = deref(paths[template], itemPointer);
  const m = method.toLowerCase();
  const operation = item[m] as Json | undefined;
  if (!operation) {
    const documented = HTTP_METHODS.filter((x) => x in item).map((x) => x.toUpperCase());
    throw new OpenApiDriftError(`openapi.yaml documents ${template} for ${documented.join(', ') || 'no method'}, not ${method.toUpperCase()}.`);
  }
  return { template, operation, pointer: `${pointer}/${m}` };
}

function webhookOperation(name: string): FoundOperation {
  const hooks = (load().doc.webhooks ?? {}) as Json;
  if (!(name in hooks)) throw new OpenApiDriftError(`openapi.yaml documents no webhook ${name}.`);
  const { value: item, pointer } = deref(hooks[name], `#/webhooks/${escapePointer(name)}`);
  const operation = item.post as Json | undefined;
  if (!operation) throw new OpenApiDriftError(`openapi.yaml: webhook ${name} has no POST operation.`);
  return { template: name, operation, pointer: `${pointer}/post` };
}

function formatErrors(errors: readonly ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map((e) => {
      const where = e.instancePath || '(body)';
      const params = e.params as Record<string, unknown>;
      const detail =
        'allowedValues' in params
          ? ` ${JSON.stringify(params.allowedValues)}`
          : 'additionalProperty' in params
            ? ` "${String(params.additionalProperty)}"`
            : 'allowedValue' in params
              ? ` ${JSON.stringify(params.allowedValue)}`
              : '';
      return `  - ${where}: ${e.message ?? 'invalid'}${detail}`;
    })
    .join('\n');
}

function mediaTypeOf(contentType: unknown): string | undefined {
  const ct = Array.isArray(contentType) ? contentType[0] : contentType;
  return typeof ct === 'string' ? ct.split(';')[0]!.trim().toLowerCase() : undefined;
}

function findMediaType(content: Json, mediaType: string): string | undefined {
  const keys = Object.keys(content);
  return (
    keys.find((k) => k.toLowerCase() === mediaType) ??
    keys.find((k) => k.endsWith('/*') && mediaType.startsWith(k.slice(0, -1).toLowerCase())) ??
    keys.find((k) => k === '*/*')
  );
}

const isJson = (mediaType: string) => mediaType === 'application/json' || mediaType.endsWith('+json');

function validateBody(where: string, pointer: string, mediaObject: Json, mediaType: string, raw: string): void {
  if (!isJson(mediaType) || mediaObject.schema === undefined) return;
  let body: unknown;
  try {
    body = raw === '' ? undefined : JSON.parse(raw);
  } catch {
    throw new OpenApiDriftError(`${where}: the body is not JSON although the content type is ${mediaType}.\n  body: ${raw.slice(0, 300)}`);
  }
  const validate = validatorAt(`${pointer}/schema`, mediaObject.schema);
  if (!validate(body)) {
    throw new OpenApiDriftError(
      `${where} does not match openapi.yaml (${pointer}/schema):\n${formatErrors(validate.errors)}\n  body: ${raw.slice(0, 800)}\n` +
        'Fix the code or openapi.yaml, whichever is wrong.',
    );
  }
}

export interface ResponseLike {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, unknown>>;
  /** The raw body text (light-my-request's `body`). */
  readonly body: string;
}

function checkResponse(where: string, found: FoundOperation, res: ResponseLike): void {
  const responses = (found.operation.responses ?? {}) as Json;
  const status = String(res.statusCode);
  const key = status in responses ? status : `${status[0]}XX` in responses ? `${status[0]}XX` : 'default' in responses ? 'default' : undefined;
  if (!key) {
    throw new OpenApiDriftError(
      `${where}: status ${status} is not documented for ${found.template} (documented: ${Object.keys(responses).join(', ')}).\n  body: ${res.body.slice(0, 400)}`,
    );
  }
  const { value: response, pointer } = deref(responses[key], `${found.pointer}/responses/${key}`);

  for (const [name, h] of Object.entries((response.headers ?? {}) as Json)) {
    const { value: headerObject } = deref(h, `${pointer}/headers/${name}`);
    if (headerObject.required === true && res.headers[name.toLowerCase()] === undefined) {
      throw new OpenApiDriftError(`${where}: the documented required header ${name} is missing.`);
    }
  }

  const content = response.content as Json | undefined;
  if (!content) {
    if (res.body.length > 0) throw new OpenApiDriftError(`${where}: openapi.yaml documents no body for ${key}, but one was sent.\n  body: ${res.body.slice(0, 400)}`);
    return;
  }
  const mediaType = mediaTypeOf(res.headers['content-type']);
  const documented = mediaType ? findMediaType(content, mediaType) : undefined;
  if (!mediaType || !documented) {
    throw new OpenApiDriftError(`${where}: content type ${String(res.headers['content-type'])} is not documented (documented: ${Object.keys(content).join(', ')}).`);
  }
  validateBody(where, `${pointer}/content/${escapePointer(documented)}`, content[documented] as Json, mediaType, res.body);
}

/** Throws OpenApiDriftError unless openapi.yaml documents this response of `method path`. */
export function expectResponseMatchesOpenApi(method: string, path: string, res: ResponseLike): void {
  const found = findOperation(method, path);
  checkResponse(`${method.toUpperCase()} ${path.split('?')[0]} -> ${res.statusCode}`, found, res);
}

function checkRequest(where: string, found: FoundOperation, body: unknown, contentType: string): void {
  if (!found.operation.requestBody) throw new OpenApiDriftError(`${where}: openapi.yaml documents no request body.`);
  const { value: requestBody, pointer } = deref(found.operation.requestBody, `${found.pointer}/requestBody`);
  const content = (requestBody.content ?? {}) as Json;
  const documented = findMediaType(content, contentType);
  if (!documented) throw new OpenApiDriftError(`${where}: request content type ${contentType} is not documented.`);
  validateBody(where, `${pointer}/content/${escapePointer(documented)}`, content[documented] as Json, contentType, JSON.stringify(body));
}

/** Throws unless `body` is a valid request body of `method path` (e.g. what the simulator sends). */
export function expectRequestMatchesOpenApi(method: string, path: string, body: unknown, contentType = 'application/json'): void {
  checkRequest(`request ${method.toUpperCase()} ${path}`, findOperation(method, path), body, contentType);
}

/** Throws unless `body` is a valid request of the webhook (a call this service makes to Alipay+). */
export function expectWebhookRequestMatchesOpenApi(name: string, body: unknown): void {
  checkRequest(`webhook ${name} request`, webhookOperation(name), body, 'application/json');
}

/** Throws unless `res` is a documented answer of the webhook (what Alipay+ answers us). */
export function expectWebhookResponseMatchesOpenApi(name: string, res: ResponseLike): void {
  checkResponse(`webhook ${name} -> ${res.statusCode}`, webhookOperation(name), res);
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return Array.isArray(v) ? String(v[0]) : String(v);
  return undefined;
}

function withoutHeader(headers: unknown, name: string): Record<string, unknown> | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== name));
}

/**
 * Makes `app.inject(options)` check every response against openapi.yaml before handing it back
 * (the promise form; the chain and callback forms pass through unchecked). A request carrying
 * `x-test-skip-openapi: 1` is not checked (the header is removed before the app sees it).
 */
export function checkResponsesAgainstOpenApi(app: Pick<FastifyInstance, 'inject'>): void {
  const inject = app.inject.bind(app) as (opts?: unknown, cb?: unknown) => unknown;
  app.inject = ((opts?: InjectOptions | string, cb?: unknown) => {
    if (opts === undefined || cb !== undefined) return inject(opts, cb);
    const o: InjectOptions = typeof opts === 'string' ? { url: opts } : opts;
    const skip = headerValue(o.headers, SKIP_OPENAPI_HEADER) === '1';
    const sent: InjectOptions = skip ? { ...o, headers: withoutHeader(o.headers, SKIP_OPENAPI_HEADER) as InjectOptions['headers'] } : o;
    return (inject(sent) as Promise<LightMyRequestResponse>).then((res) => {
      if (!skip) {
        const url = typeof o.url === 'string' ? o.url : typeof o.path === 'string' ? o.path : (o.url?.pathname ?? o.path?.pathname ?? '/');
        expectResponseMatchesOpenApi(o.method ?? 'GET', url, res);
      }
      return res;
    });
  }) as FastifyInstance['inject'];
}
