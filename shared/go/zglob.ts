/**
 * go-zglob's matching, as Prow uses it for config_updater's map keys and for censoring_options'
 * include and exclude directories: a pattern without `*` names one file exactly; otherwise `**` /
 * spans directories (none included), `*` and `?` stay within one, and `{a,b}` and `[…]` choose.
 */
export function compileZglob(pattern: string): (file: string) => boolean {
  if (!pattern.includes('*')) return (file) => file === pattern;
  const expression = new RegExp(`^${globSource(pattern)}$`);
  return (file) => expression.test(file);
}

function globSource(pattern: string): string {
  let source = '';
  for (let index = 0; index < pattern.length; index++) {
    const character = pattern[index] ?? '';
    if (character === '*') {
      if (pattern.startsWith('**/', index)) {
        source += '(?:.*/)?';
        index += 2;
      } else if (pattern.startsWith('**', index) && index + 2 === pattern.length) {
        source += '.*';
        index += 1;
      } else {
        source += '[^/]*';
      }
    } else if (character === '?') {
      source += '[^/]';
    } else if (character === '{' && pattern.indexOf('}', index) > index) {
      const close = pattern.indexOf('}', index);
      source += `(?:${pattern
        .slice(index + 1, close)
        .split(',')
        .map(globSource)
        .join('|')})`;
      index = close;
    } else if (character === '[' && pattern.indexOf(']', index + 2) > index) {
      const close = pattern.indexOf(']', index + 2);
      const inner = pattern.slice(index + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\');
      source += `[${inner}]`;
      index = close;
    } else {
      source += character.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  return source;
}
