import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { validatePluginConfig } from '../../../shared/config/plugin-config';
import { checkReposListedOnce, pluginSection, type PluginSectionSpec } from '../../../shared/config/plugin-section';
import { parseYamlSource } from '../../../shared/config/yaml-source';
import { PLUGIN_SETTINGS } from '../../../shared/plugins/registry';

const Widgets = z.object({ count: z.number().int().optional() });
const widgets = pluginSection('widgets', Widgets, (section, report) => {
  if ((section.count ?? 0) < 0) report(['count'], 'must not be negative');
});

function validate(yaml: string, strict: boolean, sections: readonly PluginSectionSpec[] = [widgets]) {
  const parsed = parseYamlSource('plugins.yaml', yaml);
  if (!parsed.ok) throw new Error('test YAML does not parse');
  return validatePluginConfig(parsed.source, { strict, sections });
}

describe('a plugin section', () => {
  it('is validated by its schema and its check, with paths from the file root', () => {
    expect(validate('widgets:\n  count: many\n', false).problems).toEqual([
      { file: 'plugins.yaml', line: 2, message: 'widgets.count: expected number, received string' },
    ]);
    expect(validate('widgets:\n  count: -1\n', false).problems).toEqual([
      { file: 'plugins.yaml', line: 2, message: 'widgets.count: must not be negative' },
    ]);
  });

  it('reads back typed from the loaded file, and undefined when the file leaves it out', () => {
    const { config } = validate('widgets:\n  count: 3\n', false);
    expect(widgets.read(config ?? {})?.count).toBe(3);
    expect(widgets.read({})).toBeUndefined();
  });

  it('is an unknown field under --strict when no spec owns it, and carried unvalidated otherwise', () => {
    expect(validate('widgets:\n  count: many\n', true, []).problems).toEqual([]);
    expect(validate('retitle:\n  allow_closed_issues: true\nwidgets:\n  count: 3\n', true, PLUGIN_SETTINGS).problems).toEqual([
      { file: 'plugins.yaml', line: 3, message: 'unknown field "widgets"' },
    ]);
    expect(validate('widgets:\n  count: many\n', false, PLUGIN_SETTINGS).problems).toEqual([]);
  });

  it('may be declared by one plugin only', () => {
    expect(() => validate('widgets: {}\n', false, [widgets, widgets])).toThrow(/declared twice/);
  });
});

describe('checkReposListedOnce', () => {
  it('reports an org or repo named by a second entry, at that entry', () => {
    const problems: string[] = [];
    checkReposListedOnce('approve', [{ repos: ['acme', 'acme/widgets'] }, { repos: ['acme/widgets'] }], (path, message) =>
      problems.push(`${path.join('.')}: ${message}`),
    );
    expect(problems).toEqual([
      '1.repos.0: repo "acme/widgets" is already configured in approve[0]; list it in one entry only',
    ]);
  });
});
