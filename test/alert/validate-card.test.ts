import { describe, expect, it } from 'vitest';
import { messageProblems, parserProblems, schemaProblems } from './validate-card.js';

const card = (body: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
  type: 'AdaptiveCard',
  version: '1.4',
  body,
  ...extra,
});

// The validators must be able to fail, or a green card test proves nothing.
describe('card validation', () => {
  it('passes a plain 1.4 card both ways', () => {
    const ok = card([{ type: 'TextBlock', text: 'hello', wrap: true }], { actions: [{ type: 'Action.OpenUrl', title: 'Open', url: 'https://example.com/' }] });
    expect(parserProblems(ok)).toEqual([]);
    expect(schemaProblems(ok)).toEqual([]);
  });

  it("the schema refuses a host extension (Teams' msteams) and a misspelt property", () => {
    expect(schemaProblems(card([], { msteams: { width: 'Full' } })).join('\n')).toMatch(/additionalProperty":"msteams"/);
    expect(schemaProblems(card([{ type: 'TextBlock', text: 'x', wrapp: true }])).join('\n')).toMatch(/wrapp/);
  });

  it('the parser refuses an unknown element and an element newer than 1.4', () => {
    expect(parserProblems(card([{ type: 'Bogus' }])).join('\n')).toMatch(/UnknownElementType/);
    expect(parserProblems(card([{ type: 'Table', columns: [], rows: [] }])).join('\n')).toMatch(/Table/);
  });

  it('checks the Workflows envelope', () => {
    expect(messageProblems({ attachments: [] })).toEqual(['envelope: not {"type":"message","attachments":[...]}']);
    expect(messageProblems({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.thumbnail', content: card([]) }] })).toEqual([
      'envelope: attachment 0 is application/vnd.microsoft.card.thumbnail, not an Adaptive Card',
    ]);
  });
});
