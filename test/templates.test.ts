import { describe, expect, it } from 'vitest';
import { renderMessage, type TemplateContext } from '../shared/render/templates.ts';

const context: TemplateContext = {
  profile: { attributes: { firstName: 'Ana' } },
  event: { summary: '<script>alert(1)</script> & more' },
  trigger: {
    id: 'e-1',
    detailType: 'chat.session.ended',
    source: 'chat.widget',
    time: '2026-01-01T00:00:00Z',
  },
  values: {},
  journey: { id: 'j', name: 'J', stepId: 's' },
  unsubscribeUrl: 'https://example.com/u?token=t',
};

function render(files: Record<string, string>, channel: 'email' | 'sms' | 'push' = 'sms') {
  return renderMessage({ name: 't', files }, channel, context);
}

describe('rendering templates', () => {
  it('escapes event data in HTML parts but not in text parts', () => {
    const result = render(
      {
        'email.subject.liquid': 'Hi',
        'email.html.liquid': '<p>{{ event.summary }}</p>',
        'email.text.liquid': '{{ event.summary }}',
      },
      'email',
    );
    expect(result).toMatchObject({
      ok: true,
      message: {
        html: '<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; more</p>',
        text: '<script>alert(1)</script> & more',
      },
    });
  });

  it('renders push data as a flat object of strings', () => {
    const result = render(
      {
        'push.title.liquid': 'T',
        'push.body.liquid': 'B',
        'push.data.json': '{"name": "{{ profile.attributes.firstName }}"}',
      },
      'push',
    );
    expect(result).toMatchObject({ ok: true, message: { data: { name: 'Ana' } } });
  });

  it('cannot read files: render, include and layout find nothing', () => {
    for (const tag of ["{% render 'package.json' %}", "{% include 'package.json' %}", "{% layout 'x' %}"]) {
      const result = render({ 'sms.liquid': tag });
      expect(result.ok, tag).toBe(false);
      if (!result.ok) expect(result.problems[0]?.message).toContain('Failed to lookup');
    }
  });

  it('stops a runaway loop instead of exhausting the process', () => {
    const result = render({ 'sms.liquid': '{% for i in (1..300000000) %}x{% endfor %}' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]?.message).toMatch(/limit exceeded/);
  });

  it('names the file, line and column of a missing variable', () => {
    const result = render({ 'sms.liquid': 'Hi\n{{ profile.attributes.nickname }}' });
    expect(result).toEqual({
      ok: false,
      problems: [
        {
          template: 't',
          file: 'sms.liquid',
          line: 2,
          column: 4,
          message: 'undefined variable: profile.attributes.nickname',
        },
      ],
    });
  });
});
