/**
 * Checks a Teams Workflows message two independent ways: Microsoft's own Adaptive Cards parser
 * (the `adaptivecards` package's Node-loadable bundle, targeting 1.4) and the Adaptive Card 1.4
 * JSON schema vendored in third_party/adaptivecards. Returns every problem as a line; a card is
 * good only when the list is empty.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import draft06 from 'ajv/dist/refs/json-schema-draft-06.json' with { type: 'json' };
import type * as AdaptiveCardsModule from 'adaptivecards';

// The package's `main` (lib/) needs a DOM; its webpack bundle in dist/ runs under Node as is.
const AC = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.js') as typeof AdaptiveCardsModule;

const SCHEMA_PATH = new URL('../../third_party/adaptivecards/adaptive-card-1.4.json', import.meta.url);

let compiled: ValidateFunction | null = null;

function schemaValidator(): ValidateFunction {
  if (compiled) return compiled;
  // The strict* options off are lints of how the schema is written (Microsoft's, vendored as is), not of the card.
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictTuples: false, strictRequired: false, meta: false });
  ajv.addMetaSchema(draft06);
  // Annotations of the vendored schema, not assertions: the card version and feature numbers that
  // Microsoft's tooling reads, and a misspelt `example`.
  ajv.addVocabulary(['version', 'features', 'example']);
  ajv.addFormat('uri', (s: string) => URL.canParse(s));
  // A URI reference may be relative; resolving against any base tells whether it is one.
  ajv.addFormat('uri-reference', (s: string) => !/\s/.test(s) && URL.canParse(s, 'https://base.invalid/'));
  const { id, ...schema } = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as { id: string } & Record<string, unknown>;
  // The file names itself with draft-04's `id`, which Ajv refuses; draft-06 spells it `$id`.
  compiled = ajv.compile({ $id: id, ...schema });
  return compiled;
}

/** Problems the Adaptive Card 1.4 JSON schema finds in one card. */
export function schemaProblems(card: unknown): string[] {
  const validate = schemaValidator();
  if (validate(card)) return [];
  return (validate.errors ?? []).map((e) => `schema: ${e.instancePath || '/'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`);
}

/** Problems (errors and warnings alike) the Adaptive Cards parser reports for one card, read as 1.4. */
export function parserProblems(card: unknown): string[] {
  const parsed = new AC.AdaptiveCard();
  const context = new AC.SerializationContext(AC.Versions.v1_4);
  parsed.parse(card, context);
  const out: string[] = [];
  for (let i = 0; i < context.eventCount; i++) {
    const e = context.getEventAt(i);
    out.push(`parser: ${AC.ValidationEvent[e.event]}: ${e.message}`);
  }
  for (const e of parsed.validateProperties().validationEvents) out.push(`validate: ${AC.ValidationEvent[e.event]}: ${e.message}`);
  return out;
}

/** The Workflows envelope, then each attached card both ways. */
export function messageProblems(message: unknown): string[] {
  const m = message as { type?: unknown; attachments?: unknown };
  if (m.type !== 'message' || !Array.isArray(m.attachments) || m.attachments.length === 0) return ['envelope: not {"type":"message","attachments":[...]}'];
  return (m.attachments as { contentType?: unknown; content?: unknown }[]).flatMap((a, i) =>
    a.contentType !== 'application/vnd.microsoft.card.adaptive'
      ? [`envelope: attachment ${i} is ${String(a.contentType)}, not an Adaptive Card`]
      : [...parserProblems(a.content), ...schemaProblems(a.content)],
  );
}
