import { describe, expect, it } from 'vitest';
import { escapeHtml, html, raw } from '../../../../src/dashboard/views/html.ts';

describe('html tagged template', () => {
  it('escapes every interpolated string, in text and in attributes', () => {
    const evil = `<script>alert("x")</script>' onload='x&`;
    const out = html`<p title="${evil}">${evil}</p>`.text;
    expect(out).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onload=&#39;x&amp;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onload=&#39;x&amp;</p>',
    );
    expect(out).not.toContain('<script>');
  });

  it('passes nested html and raw through, joins arrays, drops null/undefined/booleans', () => {
    const items = ['a<b', 'c'].map((s) => html`<li>${s}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${true}${0}`.text).toBe(
      '<ul><li>a&lt;b</li><li>c</li></ul>0',
    );
    expect(html`${raw('<b>x</b>')}`.text).toBe('<b>x</b>');
  });

  it('escapes the five significant characters only', () => {
    expect(escapeHtml(`&<>"' plain ü`)).toBe('&amp;&lt;&gt;&quot;&#39; plain ü');
  });
});
