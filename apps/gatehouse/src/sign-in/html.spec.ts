import { html } from './html';

describe('html templates', () => {
  it('escape every interpolated value, nested templates excepted', () => {
    const evil = `"><script>alert('x')</script>&`;
    const out = html`<p title="${evil}">${evil}${html`<b>${evil}</b>`}${[evil, html`<i></i>`]}</p>`.toString();
    expect(out).not.toContain('<script>');
    expect(out).toContain('&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;');
    expect(out).toContain('<b>&quot;');
    expect(out).toContain('<i></i>');
  });
  it('drops null, undefined and false', () => {
    expect(html`a${null}${undefined}${false}b`.toString()).toBe('ab');
  });
});
