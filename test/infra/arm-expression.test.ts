import { describe, expect, it } from 'vitest';
import { ArmExpressionError, evaluateValue, parseExpression, type EvalContext, type Json } from './arm-expression.js';

function ctx(params: Record<string, Json> = {}, vars: Record<string, Json> = {}): EvalContext {
  const c: EvalContext = {
    scope: { tenantId: 't0', subscriptionId: 's0', resourceGroup: 'rg', location: 'westeurope' },
    parameter: (n) => {
      const v = params[n];
      if (v === undefined) throw new Error(`no parameter ${n}`);
      return v;
    },
    variable: (n) => evaluateValue(vars[n], c),
    deploymentOutputs: () => undefined,
  };
  return c;
}

describe('ARM expression evaluator used by the infra tests', () => {
  it('evaluates format, string escapes, property and index access', () => {
    expect(evaluateValue("[format('{0}-{1}', 'a''b', parameters('n'))]", ctx({ n: 3 }))).toBe("a'b-3");
    expect(evaluateValue("[createObject('k', createArray(1, 2)).k[1]]", ctx())).toBe(2);
    expect(evaluateValue('[[not an expression]', ctx())).toBe('[not an expression]');
  });

  it('evaluates only the branch of if() that is taken', () => {
    expect(evaluateValue("[if(empty(''), 'x', parameters('missing'))]", ctx())).toBe('x');
  });

  it('evaluates lambdas in map() and filter() the way Bicep compiles list clean-up', () => {
    const expr =
      "[join(filter(map(split(parameters('s'), ','), lambda('s', trim(lambdaVariables('s')))), lambda('s', not(empty(lambdaVariables('s'))))), ',')]";
    expect(evaluateValue(expr, ctx({ s: ' a , ,b,' }))).toBe('a,b');
  });

  it('builds resource ids for the scope and child types', () => {
    expect(evaluateValue("[resourceId('Microsoft.Storage/storageAccounts/blobServices', 'st1', 'default')]", ctx())).toBe(
      '/subscriptions/s0/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1/blobServices/default',
    );
    expect(evaluateValue("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'abc')]", ctx())).toBe(
      '/subscriptions/s0/providers/Microsoft.Authorization/roleDefinitions/abc',
    );
  });

  it('is deterministic for guid() and uniqueString() and sensitive to their inputs', () => {
    const a = evaluateValue("[guid('x', 'y')]", ctx());
    expect(a).toBe(evaluateValue("[guid('x', 'y')]", ctx()));
    expect(a).not.toBe(evaluateValue("[guid('x', 'z')]", ctx()));
    expect(String(evaluateValue("[uniqueString('x')]", ctx()))).toMatch(/^[a-z2-7]{13}$/);
  });

  it('rejects functions it does not implement and malformed expressions', () => {
    expect(() => evaluateValue("[listKeys('x', '2023-01-01')]", ctx())).toThrow(ArmExpressionError);
    expect(() => parseExpression("[format('a'")).toThrow(ArmExpressionError);
  });
});
