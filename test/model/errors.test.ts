import { describe, expect, it } from 'vitest';
import { errorLine, errorMessage, InputError } from '../../src/model/errors.js';

describe('errorMessage and errorLine', () => {
  it('give an Error its message and anything else thrown as text', () => {
    expect(errorMessage(new InputError('fleet.json', 'is not JSON'))).toBe('fleet.json: is not JSON');
    expect(errorMessage('socket hang up')).toBe('socket hang up');
    expect(errorMessage(42)).toBe('42');
    expect(errorMessage(undefined)).toBe('undefined');
  });

  it('errorLine keeps the first line only, as SDK errors append request details below it', () => {
    const sdk = new Error('The specified resource does not exist.\nRequestId:1f3a\nTime:2026-11-30T09:00:00Z');
    expect(errorMessage(sdk)).toContain('RequestId');
    expect(errorLine(sdk)).toBe('The specified resource does not exist.');
    expect(errorLine('one\ntwo')).toBe('one');
    expect(errorLine(new Error(''))).toBe('');
  });
});
