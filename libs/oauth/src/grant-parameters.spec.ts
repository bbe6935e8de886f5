import { InvalidRequest } from '@gatehouse/core';
import { FormParams } from './form-params';
import { applyParameterRules, parameterRules } from './grant-parameters';

const form = (query: string) => FormParams.from(new URLSearchParams(query));

describe('the token endpoint parameter rules', () => {
  const single = parameterRules({ parameters: [{ name: 'scope' }, { name: 'resource' }] });
  const repeatable = parameterRules({ parameters: [{ name: 'scope' }, { name: 'resource', repeatable: true }] });

  it('a repeated parameter the grant declares repeatable reaches it, every value in order', () => {
    const p = applyParameterRules(form('grant_type=x&resource=https://a&resource=https://b'), repeatable);
    expect(p.all('resource')).toEqual(['https://a', 'https://b']);
  });

  it('a repeat of a parameter declared single is refused (RFC 6749 §3.2)', () => {
    expect(() => applyParameterRules(form('grant_type=x&resource=a&resource=b'), single)).toThrow(
      new InvalidRequest('Parameter "resource" appears more than once.'),
    );
  });

  it('a repeat of the endpoint’s own parameters or of an unknown one is refused too', () => {
    for (const q of [
      'grant_type=x&client_id=a&client_id=b',
      'grant_type=x&junk=1&junk=2',
      'grant_type=x&scope=a&scope=b',
    ]) {
      expect(() => applyParameterRules(form(q), repeatable)).toThrow(InvalidRequest);
    }
  });

  it('the grant sees only what it declared, plus grant_type and client authentication (RFC 6749 §3.1)', () => {
    const p = applyParameterRules(
      form('grant_type=x&scope=a&client_id=c&client_secret=s&refresh_token=r&junk=1'),
      single,
    );
    expect([...p.names()].sort()).toEqual(['client_id', 'client_secret', 'grant_type', 'scope']);
    expect(p.get('refresh_token')).toBeUndefined();
  });
});
