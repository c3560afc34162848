/**
 * The unsubscribe pages show what they are given as text: a sender's name from
 * the settings, a reason, a token in the form's action.
 */
import { describe, expect, it } from 'vitest';
import { confirmPage, invalidPage } from '../functions/unsubscribe/pages.ts';

describe('unsubscribe pages', () => {
  it('escape a sender name and a token, so neither can become markup', () => {
    const page = confirmPage('email', 'a"><script>x</script>', { sender: '<b>Shop</b> & "Co"' });
    expect(page.body).toContain('from &lt;b&gt;Shop&lt;/b&gt; &amp; &quot;Co&quot;');
    expect(page.body).not.toContain('<script>');
    expect(page.body).not.toContain('<b>Shop');
  });

  it('escape the reason a link does not work', () => {
    const page = invalidPage("The link's token <expired>");
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('The link&#39;s token &lt;expired&gt;');
  });
});
