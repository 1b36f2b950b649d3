/**
 * Go's text/template, the part of it Prow's configuration uses (Slack `report_template`,
 * `plank.report_templates`, `job_url_template`…), executed against a ProwJob in its JSON shape.
 *
 * Templates name Go struct fields (`.Spec.Refs.BaseSHA`) while the data carries Prow's JSON keys
 * (`spec.refs.base_sha`), so field lookup translates names; see `fieldOf`. Parse once, execute many.
 */

export class GoTemplateError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
    this.name = 'GoTemplateError';
  }
}

export interface GoTemplate {
  readonly source: string;
  execute(data: unknown): string;
}

export function parseGoTemplate(source: string): GoTemplate {
  const nodes = new Parser(source, lex(source)).parseTemplate();
  return { source, execute: (data) => new Execution(source, data).run(nodes) };
}

export function renderGoTemplate(source: string, data: unknown): string {
  return compiledGoTemplate(source).execute(data);
}

/** Config templates are few and used again and again: each is parsed once per process. */
const compiled = new Map<string, GoTemplate>();
export function compiledGoTemplate(source: string): GoTemplate {
  let template = compiled.get(source);
  if (!template) compiled.set(source, (template = parseGoTemplate(source)));
  return template;
}

function templateError(source: string, offset: number, message: string): GoTemplateError {
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  const where = line === 1 ? `column ${column}` : `line ${line}, column ${column}`;
  return new GoTemplateError(`template: ${message} at ${where}`, line, column);
}

// ---------------------------------------------------------------------------------------- lexing

type TokenKind = 'field' | 'dot' | 'var' | 'ident' | 'string' | 'number' | '(' | ')' | '|' | ':=' | '=' | ',';
/** `value` is set for string and number literals only. */
type Token = { kind: TokenKind; text: string; value?: string | number; pos: number; end: number };
type TextNode = { kind: 'text'; text: string };
type Item = TextNode | { kind: 'action'; pos: number; tokens: Token[] };

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const QUOTED = /"(?:[^"\\\n]|\\.)*"/y;
const CHAR = /'(?:[^'\\\n]|\\[^\n]+?)'/y;
const NUMBER = /[+-]?(?:0[xX][\da-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?)/y;
const WORD = /[\p{L}_][\p{L}\p{Nd}_]*/uy;
const VARIABLE = /\$[\p{L}\p{Nd}_]*/uy;
const ESCAPE = /\\(?:([abfnrtv\\"'])|x([\da-fA-F]{2})|([0-7]{3})|u([\da-fA-F]{4})|U([\da-fA-F]{8})|([\s\S]))/g;
const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

function sticky(pattern: RegExp, src: string, at: number): string | undefined {
  pattern.lastIndex = at;
  return pattern.exec(src)?.[0];
}

/** Splits the source into text and actions' tokens, applying `{{- ` / ` -}}` and dropping comments. */
function lex(src: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let trimNext = false;
  for (;;) {
    const open = src.indexOf('{{', pos);
    const trimBefore = open >= 0 && src[open + 2] === '-' && isSpace(src[open + 3]);
    let text = src.slice(pos, open < 0 ? undefined : open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    if (trimBefore) text = text.replace(/[ \t\r\n]+$/, '');
    if (text) items.push({ kind: 'text', text });
    if (open < 0) return items;
    let p = open + (trimBefore ? 4 : 2);
    if (src.startsWith('/*', p)) {
      const close = src.indexOf('*/', p + 2);
      if (close < 0) throw templateError(src, open, 'unclosed comment');
      p = close + 2;
      trimNext = src.startsWith(' -}}', p);
      if (!trimNext && !src.startsWith('}}', p)) throw templateError(src, p, 'comment ends before closing delimiter');
      pos = p + (trimNext ? 4 : 2);
      continue;
    }
    const tokens: Token[] = [];
    for (;;) {
      const c = src[p];
      if (c === undefined) throw templateError(src, open, 'unclosed action');
      if (isSpace(c)) {
        while (isSpace(src[p])) p += 1;
        if (src.startsWith('-}}', p)) {
          trimNext = true;
          pos = p + 3;
          break;
        }
        continue;
      }
      if (src.startsWith('}}', p)) {
        trimNext = false;
        pos = p + 2;
        break;
      }
      const token = lexToken(src, p);
      tokens.push(token);
      p = token.end;
    }
    items.push({ kind: 'action', pos: open, tokens });
  }
}

function lexToken(src: string, p: number): Token {
  const c = src[p] ?? '';
  const next = src[p + 1] ?? '';
  const token = (kind: TokenKind, text: string, value?: string | number): Token => {
    return { kind, text, value, pos: p, end: p + text.length };
  };
  if (c && '()|,='.includes(c)) return token(c as TokenKind, c);
  if (c === ':' && next === '=') return token(':=', ':=');
  if (c === '"' || c === "'") {
    const text = sticky(c === '"' ? QUOTED : CHAR, src, p);
    if (!text) throw templateError(src, p, c === '"' ? 'unterminated quoted string' : 'bad character constant');
    const value = unquote(src, p, text.slice(1, -1));
    if (c === '"') return token('string', text, value);
    const code = value.codePointAt(0);
    if (code === undefined || String.fromCodePoint(code) !== value) throw templateError(src, p, 'bad character constant');
    return token('number', text, code);
  }
  if (c === '`') {
    const close = src.indexOf('`', p + 1);
    if (close < 0) throw templateError(src, p, 'unterminated raw quoted string');
    return token('string', src.slice(p, close + 1), src.slice(p + 1, close));
  }
  if (c === '$') return token('var', sticky(VARIABLE, src, p) ?? '$');
  if (c === '.' && !/\d/.test(next)) {
    const name = sticky(WORD, src, p + 1);
    return name ? token('field', `.${name}`, name) : token('dot', '.');
  }
  if (/[\d.+-]/.test(c)) {
    const text = sticky(NUMBER, src, p);
    const glued = text !== undefined && /[\p{L}\p{Nd}_.]/u.test(src[p + text.length] ?? '');
    if (text === undefined || glued) throw templateError(src, p, 'bad number syntax');
    const digits = text.replace(/_/g, '').replace(/^[+-]/, '');
    const magnitude = /^0\d+$/.test(digits) ? parseInt(digits, 8) : Number(digits);
    return token('number', text, text.startsWith('-') ? -magnitude : magnitude);
  }
  const word = sticky(WORD, src, p);
  if (word) return token('ident', word);
  throw templateError(src, p, `unexpected character ${JSON.stringify(c)} in action`);
}

function unquote(src: string, pos: number, body: string): string {
  return body.replace(ESCAPE, (whole, simple?: string, hex?: string, octal?: string, u4?: string, u8?: string) => {
    if (simple) return SIMPLE_ESCAPES[simple] ?? simple;
    const hexDigits = hex ?? u4 ?? u8;
    const code = hexDigits ? parseInt(hexDigits, 16) : octal ? parseInt(octal, 8) : NaN;
    if (Number.isNaN(code) || code > 0x10ffff) throw templateError(src, pos, `invalid escape ${whole} in string`);
    return String.fromCodePoint(code);
  });
}

// --------------------------------------------------------------------------------------- parsing

type Arg =
  | { kind: 'dot'; pos: number; end: number; chain: string[] }
  | { kind: 'var'; pos: number; end: number; name: string; chain: string[] }
  | { kind: 'pipe'; pos: number; end: number; pipe: Pipeline; chain: string[] }
  | { kind: 'func'; pos: number; end: number; name: string }
  | { kind: 'literal'; pos: number; end: number; value: string | number | boolean | null };
type Command = { pos: number; end: number; args: Arg[] };
/** `decl` names the variables it sets: declared with `:=`, or assigned with `=` when `assign`. */
type Pipeline = { decl: string[]; assign: boolean; cmds: Command[] };
type ControlKind = 'if' | 'with' | 'range';
type Node =
  | TextNode
  | { kind: 'action'; pipe: Pipeline }
  | { kind: ControlKind; pipe: Pipeline; list: Node[]; elseList: Node[] }
  | { kind: 'break' }
  | { kind: 'continue' };

type Stop = { word: 'end' | 'else'; pos: number };

class Parser {
  private item = 0;
  private tokens: Token[] = [];
  private t = 0;
  private actionPos = 0;
  private readonly vars = ['$'];
  private rangeDepth = 0;

  constructor(
    private readonly src: string,
    private readonly items: Item[],
  ) {}

  parseTemplate(): Node[] {
    const { nodes, stop } = this.parseList();
    if (stop) this.fail(stop.pos, `unexpected {{${stop.word}}}`);
    return nodes;
  }

  private fail(pos: number, message: string): never {
    throw templateError(this.src, pos, message);
  }

  private peek(ahead = 0): Token | undefined {
    return this.tokens[this.t + ahead];
  }

  /** Nodes up to the next {{else}} / {{end}} (returned as `stop`) or the end of the template. */
  private parseList(): { nodes: Node[]; stop?: Stop } {
    const nodes: Node[] = [];
    while (this.item < this.items.length) {
      const item = this.items[this.item++]!;
      if (item.kind === 'text') {
        nodes.push(item);
        continue;
      }
      this.tokens = item.tokens;
      this.t = 1;
      this.actionPos = item.pos;
      const first = item.tokens[0];
      const word = first?.kind === 'ident' ? first.text : '';
      if (word === 'end' || word === 'else') {
        if (word === 'end') this.expectEnd('end');
        return { nodes, stop: { word, pos: item.pos } };
      } else if (word === 'if' || word === 'with' || word === 'range') {
        nodes.push(this.parseControl(word));
      } else if (word === 'break' || word === 'continue') {
        if (this.rangeDepth === 0) this.fail(item.pos, `{{${word}}} outside {{range}}`);
        this.expectEnd(word);
        nodes.push({ kind: word });
      } else if (word === 'define' || word === 'template' || word === 'block') {
        this.fail(item.pos, `{{${word}}} is not supported`);
      } else {
        this.t = 0;
        nodes.push({ kind: 'action', pipe: this.parsePipeline('command') });
      }
    }
    return { nodes };
  }

  private expectEnd(word: string): void {
    const extra = this.peek();
    if (extra) this.fail(extra.pos, `unexpected ${JSON.stringify(extra.text)} in {{${word}}}`);
  }

  private parseControl(kind: ControlKind): Node {
    const pos = this.actionPos;
    const mark = this.vars.length;
    const pipe = this.parsePipeline(kind);
    if (kind === 'range') this.rangeDepth += 1;
    const { nodes: list, stop } = this.parseList();
    if (kind === 'range') this.rangeDepth -= 1;
    let elseList: Node[] = [];
    if (stop?.word === 'else') {
      const chained = this.peek();
      if (chained?.kind === 'ident' && chained.text === kind && kind !== 'range') {
        // `{{else if …}}` is an {{if}} nested in the else branch that shares the outer {{end}}.
        this.t += 1;
        elseList = [this.parseControl(kind)];
      } else {
        this.expectEnd('else');
        const rest = this.parseList();
        if (rest.stop?.word === 'else') this.fail(rest.stop.pos, 'unexpected {{else}}');
        if (!rest.stop) this.fail(pos, `missing {{end}} for {{${kind}}}`);
        elseList = rest.nodes;
      }
    } else if (!stop) {
      this.fail(pos, `missing {{end}} for {{${kind}}}`);
    }
    this.vars.length = mark;
    return { kind, pipe, list, elseList };
  }

  /** A pipeline up to the end of the action, or past the `)` matching `openParen`. */
  private parsePipeline(context: string, openParen?: number): Pipeline {
    const decl: string[] = [];
    let assign = false;
    const first = this.peek();
    if (first?.kind === 'var') {
      const names = [first.text];
      let at = 1;
      if (context === 'range' && this.peek(1)?.kind === ',' && this.peek(2)?.kind === 'var') {
        names.push(this.peek(2)!.text);
        at = 3;
      }
      const op = this.peek(at)?.kind;
      if (op === ':=' || op === '=') {
        this.t += at + 1;
        assign = op === '=';
        if (assign) names.forEach((name) => this.checkVariable(name, first.pos));
        decl.push(...names);
      }
    }
    const cmds: Command[] = [];
    for (;;) {
      const args: Arg[] = [];
      for (let tok = this.peek(); tok && tok.kind !== '|' && tok.kind !== ')'; tok = this.peek()) {
        args.push(this.parseOperand(context));
      }
      const head = args[0];
      const missing = cmds.length ? 'missing command after |' : `missing value for ${context}`;
      if (!head) this.fail(this.peek()?.pos ?? this.actionPos, missing);
      if (head.kind === 'literal' && head.value === null) this.fail(head.pos, 'nil is not a command');
      if (cmds.length && (head.kind === 'literal' || (head.kind === 'dot' && !head.chain.length))) {
        this.fail(head.pos, `non executable command in pipeline stage ${cmds.length + 1}`);
      }
      cmds.push({ pos: head.pos, end: args[args.length - 1]!.end, args });
      if (this.peek()?.kind !== '|') break;
      this.t += 1;
    }
    const close = this.peek();
    if (openParen !== undefined && close?.kind !== ')') this.fail(openParen, 'unclosed left paren');
    if (openParen === undefined && close) this.fail(close.pos, 'unexpected right paren');
    if (close) this.t += 1;
    if (!assign) this.vars.push(...decl);
    return { decl, assign, cmds };
  }

  private checkVariable(name: string, pos: number): void {
    if (!this.vars.includes(name)) this.fail(pos, `undefined variable "${name}"`);
  }

  private parseOperand(context: string): Arg {
    const tok = this.tokens[this.t++]!;
    const { pos, end } = tok;
    let arg: Arg;
    if (tok.kind === 'field') arg = { kind: 'dot', pos, end, chain: [tok.text.slice(1)] };
    else if (tok.kind === 'dot') arg = { kind: 'dot', pos, end, chain: [] };
    else if (tok.kind === 'var') {
      this.checkVariable(tok.text, pos);
      arg = { kind: 'var', pos, end, name: tok.text, chain: [] };
    } else if (tok.kind === '(') {
      const pipe = this.parsePipeline('parenthesized pipeline', pos);
      arg = { kind: 'pipe', pos, end: this.tokens[this.t - 1]!.end, pipe, chain: [] };
    } else if (tok.kind === 'string' || tok.kind === 'number') arg = { kind: 'literal', pos, end, value: tok.value! };
    else if (tok.kind === 'ident' && Object.hasOwn(LITERALS, tok.text)) {
      arg = { kind: 'literal', pos, end, value: LITERALS[tok.text]! };
    } else if (tok.kind === 'ident') {
      if (!FUNCTIONS.has(tok.text)) this.fail(pos, `function "${tok.text}" not defined`);
      arg = { kind: 'func', pos, end, name: tok.text };
    } else this.fail(pos, `unexpected ${JSON.stringify(tok.text)} in ${context}`);
    for (let next = this.peek(); next?.kind === 'field' && next.pos === arg.end; next = this.peek()) {
      if (arg.kind === 'literal' || arg.kind === 'func') this.fail(next.pos, `unexpected ${next.text} after ${tok.text}`);
      arg.chain.push(next.text.slice(1));
      arg.end = next.end;
      this.t += 1;
    }
    return arg;
  }
}

const LITERALS: Record<string, boolean | null> = { true: true, false: false, nil: null };

// ------------------------------------------------------------------------------------- execution

/**
 * A field the JSON leaves out. Prow's JSON omits empty values (`omitempty`), so a Go field missing
 * here held its zero value: it prints as "", is false, has length 0 and equals "", 0 and false.
 * (Go would print the typed zero, and fail on a field its struct lacks; we can tell neither.)
 */
const MISSING = Symbol('omitted field');
const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');

class CallError extends Error {}

/** `shortCircuitOn`: the truth value at which evaluating arguments stops (`and`, `or`). */
type Builtin = { min: number; max: number; run: (args: unknown[]) => unknown; shortCircuitOn?: boolean };

class Execution {
  private readonly vars: { name: string; value: unknown }[];
  private out = '';

  constructor(
    private readonly src: string,
    root: unknown,
  ) {
    this.vars = [{ name: '$', value: root }];
  }

  run(nodes: Node[]): string {
    this.walk(nodes, this.vars[0]!.value);
    return this.out;
  }

  private fail(cmd: Command, message: string): never {
    throw templateError(this.src, cmd.pos, `executing <${this.src.slice(cmd.pos, cmd.end)}>: ${message}`);
  }

  private walk(nodes: Node[], dot: unknown): void {
    for (const node of nodes) {
      if (node.kind === 'text') this.out += node.text;
      else if (node.kind === 'action') {
        const value = this.pipeline(node.pipe, dot);
        if (!node.pipe.decl.length) this.out += value == null ? '<no value>' : format(value);
      } else if (node.kind === 'break') throw BREAK;
      else if (node.kind === 'continue') throw CONTINUE;
      else if (node.kind === 'range') this.range(node, dot);
      else {
        const mark = this.vars.length;
        const value = this.pipeline(node.pipe, dot);
        if (isTrue(value)) this.walk(node.list, node.kind === 'with' ? value : dot);
        else this.walk(node.elseList, dot);
        this.vars.length = mark;
      }
    }
  }

  private range(node: { pipe: Pipeline; list: Node[]; elseList: Node[] }, dot: unknown): void {
    const { decl, assign, cmds } = node.pipe;
    const value = this.pipeline({ decl: [], assign, cmds }, dot);
    let entries: [unknown, unknown][];
    if (Array.isArray(value)) entries = value.map((element, i) => [i, element]);
    else if (isObject(value)) entries = Object.keys(value).sort().map((key) => [key, value[key]]);
    else if (typeof value === 'number' && Number.isInteger(value) && value >= 0) {
      entries = Array.from({ length: value }, (_, i) => [i, i]);
    } else if (value == null || value === MISSING) entries = [];
    else this.fail(cmds[0]!, `range can't iterate over ${format(value)}`);
    if (!entries.length) return this.walk(node.elseList, dot);
    const mark = this.vars.length;
    for (const [key, element] of entries) {
      const bound = decl.length === 2 ? [key, element] : [element];
      decl.forEach((name, i) => this.setVar(name, bound[i], assign));
      try {
        this.walk(node.list, element);
      } catch (signal) {
        if (signal !== BREAK && signal !== CONTINUE) throw signal;
        if (signal === BREAK) break;
      } finally {
        this.vars.length = mark;
      }
    }
  }

  private setVar(name: string, value: unknown, assign: boolean): void {
    const existing = assign ? this.vars.findLast((v) => v.name === name) : undefined;
    if (existing) existing.value = value;
    else this.vars.push({ name, value });
  }

  private pipeline(pipe: Pipeline, dot: unknown): unknown {
    let piped: unknown[] = [];
    for (const cmd of pipe.cmds) piped = [this.command(cmd, dot, piped)];
    const value = piped[0];
    for (const name of pipe.decl) this.setVar(name, value, pipe.assign);
    return value;
  }

  private command(cmd: Command, dot: unknown, piped: unknown[]): unknown {
    const [head, ...rest] = cmd.args as [Arg, ...Arg[]];
    if (head.kind === 'func') return this.call(cmd, head.name, rest, dot, piped);
    const name = this.src.slice(head.pos, head.end);
    if (rest.length || piped.length) this.fail(cmd, `can't give argument to non-function ${name}`);
    return this.arg(head, dot, cmd);
  }

  private arg(arg: Arg, dot: unknown, cmd: Command): unknown {
    if (arg.kind === 'literal') return arg.value;
    if (arg.kind === 'func') return this.call(cmd, arg.name, [], dot, []);
    let value: unknown;
    if (arg.kind === 'dot') value = dot;
    else if (arg.kind === 'var') value = this.vars.findLast((v) => v.name === arg.name)?.value;
    else value = this.pipeline(arg.pipe, dot);
    for (const name of arg.chain) value = this.field(value, name, cmd);
    return value;
  }

  private field(receiver: unknown, name: string, cmd: Command): unknown {
    if (receiver === MISSING) return MISSING;
    if (receiver == null) return undefined;
    if (!isObject(receiver)) this.fail(cmd, `can't evaluate field ${name} in type ${goType(receiver)}`);
    const found = fieldOf(receiver, name);
    if (found !== undefined) return found;
    // Only exported (capitalised) names can be Go struct fields; anything else is a map key,
    // and a missing map key is Go's "no value".
    return /^\p{Lu}/u.test(name) ? MISSING : undefined;
  }

  private call(cmd: Command, name: string, argNodes: Arg[], dot: unknown, piped: unknown[]): unknown {
    const fn = FUNCTIONS.get(name)!;
    const count = argNodes.length + piped.length;
    if (count < fn.min || count > fn.max) {
      const want = fn.min === fn.max ? `${fn.min}` : `at least ${fn.min}`;
      this.fail(cmd, `wrong number of args for ${name}: want ${want} got ${count}`);
    }
    const args: unknown[] = [];
    for (let i = 0; i < count; i += 1) {
      const value = i < argNodes.length ? this.arg(argNodes[i]!, dot, cmd) : piped[0];
      args.push(value);
      // Go 1.18+: `and` / `or` leave the arguments after the deciding one unevaluated.
      if (fn.shortCircuitOn !== undefined && isTrue(value) === fn.shortCircuitOn) break;
    }
    try {
      return fn.run(args);
    } catch (error) {
      if (error instanceof CallError) this.fail(cmd, `error calling ${name}: ${error.message}`);
      throw error;
    }
  }
}

const IRREGULAR_FIELDS: Record<string, string> = {
  ObjectMeta: 'metadata',
  ProwJobID: 'prowjob_id',
  ProwJobDefault: 'prowjob_defaults',
  WorkDir: 'workdir',
};
const jsonKeyCache = new Map<string, string[]>();

/** The JSON keys a Go field name may have been written as, most likely first. */
function jsonKeys(name: string): string[] {
  let keys = jsonKeyCache.get(name);
  if (!keys) {
    // Go initialisms stay whole words: "BaseSHA" is Base+SHA, "APIVersion" is API+Version.
    const words = name.match(/\p{Lu}+(?!\p{Ll})|\p{Lu}?[\p{Ll}\p{Nd}]+|\p{Nd}+/gu) ?? [name];
    const [head = '', ...tail] = words;
    const lowerCamel = head.toLowerCase() + tail.join('');
    const snake = words.map((word) => word.toLowerCase()).join('_');
    keys = [...new Set([name, lowerCamel, snake, IRREGULAR_FIELDS[name] ?? name])];
    jsonKeyCache.set(name, keys);
  }
  return keys;
}

function fieldOf(object: Record<string, unknown>, name: string): unknown {
  for (const key of jsonKeys(name)) {
    if (Object.hasOwn(object, key) && object[key] !== undefined) return object[key];
  }
  // Kubernetes objects embed ObjectMeta, whose fields Go promotes: `.Name` is `.ObjectMeta.Name`.
  const meta = object.metadata;
  return isObject(meta) ? fieldOf(meta, name) : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTrue(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (isObject(value)) return Object.keys(value).length > 0;
  return value !== MISSING && Boolean(value);
}

function goType(value: unknown): string {
  if (value == null || value === MISSING) return '<nil>';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float64';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return '[]interface {}';
  return isObject(value) ? 'map[string]interface {}' : typeof value;
}

/** fmt's %v: arrays as `[a b]`, maps as `map[k:v]` with sorted keys. */
function format(value: unknown): string {
  if (value === MISSING) return '';
  if (value == null) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return formatNumber(value);
  if (Array.isArray(value)) return `[${value.map(format).join(' ')}]`;
  if (isObject(value)) return `map[${Object.keys(value).sort().map((k) => `${k}:${format(value[k])}`).join(' ')}]`;
  return String(value);
}

/**
 * Whole numbers print as Go ints (Prow's numeric fields are ints); others as Go's %v for float64,
 * the shortest %g, which switches to an exponent below 1e-4 and from 1e6.
 */
function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return n.toFixed(0);
  const [mantissa, exponent] = n.toExponential().split('e') as [string, string];
  const exp = Number(exponent);
  if (exp >= -4 && exp < 6) return String(n);
  return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

// ------------------------------------------------------------------------------------- functions

const basicKind = (v: unknown): string => (v == null ? 'nil' : typeof v === 'object' ? 'other' : typeof v);

function equal(a: unknown, b: unknown): boolean {
  if (a === MISSING || b === MISSING) {
    const other = a === MISSING ? b : a;
    return other === MISSING || other === '' || other === 0 || other === false || other == null;
  }
  const [ka, kb] = [basicKind(a), basicKind(b)];
  if (ka === 'nil' || kb === 'nil') return ka === kb;
  if (ka === 'other' || kb === 'other') throw new CallError('invalid type for comparison');
  if (ka !== kb) throw new CallError('incompatible types for comparison');
  return a === b;
}

function less(a: unknown, b: unknown): boolean {
  const zeroLike = (other: unknown): unknown => (typeof other === 'string' ? '' : 0);
  const [x, y] = [a === MISSING ? zeroLike(b) : a, b === MISSING ? zeroLike(a) : b];
  const kind = basicKind(x);
  if (kind !== 'number' && kind !== 'string') throw new CallError('invalid type for comparison');
  if (kind !== basicKind(y)) throw new CallError('incompatible types for comparison');
  return (x as number | string) < (y as number | string);
}

const utf8 = new TextEncoder();

function index(args: unknown[]): unknown {
  const [first, ...keys] = args;
  let item = first;
  for (const key of keys) {
    if (item == null) throw new CallError('index of untyped nil');
    if (item === MISSING && typeof key === 'string') continue; // an omitted map holds the zero value for every key
    if (Array.isArray(item) || item === MISSING || typeof item === 'string') {
      if (!Number.isInteger(key)) throw new CallError(`cannot index slice/array with type ${goType(key)}`);
      const indexable = item === MISSING ? [] : typeof item === 'string' ? [...utf8.encode(item)] : item;
      const at = key as number;
      if (at < 0 || at >= indexable.length) throw new CallError(`index out of range: ${at}`);
      item = indexable[at];
    } else if (isObject(item)) {
      if (typeof key !== 'string') throw new CallError(`value has type ${goType(key)}; should be string`);
      // A missing map key gives the map's zero value (for Prow's string maps, "").
      item = Object.hasOwn(item, key) ? item[key] : MISSING;
    } else throw new CallError(`can't index item of type ${goType(item)}`);
  }
  return item;
}

function length(value: unknown): number {
  if (value === MISSING) return 0;
  if (typeof value === 'string') return utf8.encode(value).length;
  if (Array.isArray(value)) return value.length;
  if (isObject(value)) return Object.keys(value).length;
  throw new CallError(value == null ? 'len of nil pointer' : `len of type ${goType(value)}`);
}

/** fmt.Sprint: a space between two operands only when neither is a string. */
function sprint(args: unknown[]): string {
  const isText = (v: unknown): boolean => typeof v === 'string' || v === MISSING;
  const spaced = (arg: unknown, i: number): boolean => i > 0 && !isText(arg) && !isText(args[i - 1]);
  return args.map((arg, i) => (spaced(arg, i) ? ' ' : '') + format(arg)).join('');
}

const textArg = (args: unknown[]): string => {
  return args.length === 1 && typeof args[0] === 'string' ? args[0] : sprint(args);
};

/** One character escaped as strconv.Quote does (lower-case hex) or as template.JSEscapeString does. */
function escapeCodePoint(ch: string, forJs: boolean): string {
  const code = ch.codePointAt(0)!;
  const digits = forJs ? code.toString(16).toUpperCase() : code.toString(16);
  const hex = (width: number): string => digits.padStart(width, '0');
  if (forJs) return `\\u${hex(4)}`;
  return code < 0x80 ? `\\x${hex(2)}` : code < 0x10000 ? `\\u${hex(4)}` : `\\U${hex(8)}`;
}
const GO_QUOTE_ESCAPES: Record<string, string> = {
  ...Object.fromEntries(Object.entries(SIMPLE_ESCAPES).map(([letter, ch]) => [ch, `\\${letter}`])),
  '\\': '\\\\',
  '"': '\\"',
};
const NOT_PRINTABLE = /[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;

function goQuote(text: string): string {
  const escape = (ch: string): string => GO_QUOTE_ESCAPES[ch] ?? escapeCodePoint(ch, false);
  return `"${text.replace(/[\\"]|[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/gu, escape)}"`;
}

const JS_ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '"': '\\"' };
function jsEscape(text: string): string {
  return text.replace(/[\\'"<>&=\p{Cc}]|[^\p{ASCII}]/gu, (ch) => {
    if (ch === '\x7f') return ch; // a control character, yet Go leaves it alone
    if (ch < ' ' || '<>&='.includes(ch)) return escapeCodePoint(ch, true);
    return JS_ESCAPES[ch] ?? (NOT_PRINTABLE.test(ch) ? escapeCodePoint(ch, true) : ch);
  });
}

const HTML_ESCAPES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&#34;' };
const htmlEscape = (text: string): string => {
  return text.replace(/[<>&'"]/g, (c) => HTML_ESCAPES[c] ?? c).replaceAll('\0', '\uFFFD');
};

function urlQuery(text: string): string {
  // encodeURIComponent leaves !'()* alone; Go's url.QueryEscape does not, and writes spaces as "+".
  const encoded = encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return encoded.replace(/%20/g, '+');
}

const VERB = /%([-+# 0]*)(\d*)(?:\.(\d*))?([\s\S]?)/gu;
const describe = (v: unknown): string => (v == null || v === MISSING ? '<nil>' : `${goType(v)}=${format(v)}`);

/** fmt.Sprintf for the verbs templates use: %v %s %q %d %t %f %x %X %c and %%. */
function sprintf([layout, ...values]: unknown[]): string {
  if (typeof layout !== 'string') throw new CallError(`wrong type for value; expected string; got ${goType(layout)}`);
  let next = 0;
  const result = layout.replace(VERB, (_, flags: string, width: string, precision: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (!verb) return '%!(NOVERB)';
    if (next >= values.length) return `%!${verb}(MISSING)`;
    const arg = values[next++];
    const body = formatVerb(verb, arg, flags, precision === undefined ? undefined : Number(precision));
    if (body === undefined) return `%!${verb}(${describe(arg)})`;
    const pad = Number(width || 0) - [...body].length;
    if (pad <= 0) return body;
    if (flags.includes('-')) return body + ' '.repeat(pad);
    // Zero padding goes after a number's sign.
    if (flags.includes('0') && 'dfFxX'.includes(verb)) return body.replace(/^[+ -]?/, (sign) => sign + '0'.repeat(pad));
    return (flags.includes('0') ? '0' : ' ').repeat(pad) + body;
  });
  const extra = values.slice(next);
  return extra.length ? `${result}%!(EXTRA ${extra.map(describe).join(', ')})` : result;
}

/** One verb's text before padding, or undefined when the verb does not suit the value. */
function formatVerb(verb: string, arg: unknown, flags: string, prec: number | undefined): string | undefined {
  const zeroes: Record<string, unknown> = { d: 0, f: 0, F: 0, x: 0, X: 0, c: 0, t: false };
  const value = arg === MISSING ? (zeroes[verb] ?? '') : arg;
  const truncate = (s: string): string => (prec === undefined ? s : [...s].slice(0, prec).join(''));
  const sign = (n: number): string => (n < 0 ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '');
  const isInt = typeof value === 'number' && Number.isInteger(value);
  switch (verb) {
    case 'v':
      return typeof value === 'string' ? truncate(value) : format(value);
    case 's':
      if (typeof value === 'string') return truncate(value);
      return typeof value === 'object' && value !== null ? format(value) : undefined;
    case 'q':
      if (typeof value === 'string') return goQuote(truncate(value));
      return isInt ? `'${String.fromCodePoint(value)}'` : undefined;
    case 't':
      return typeof value === 'boolean' ? String(value) : undefined;
    case 'd':
      return isInt ? sign(value) + Math.abs(value).toFixed(0).padStart(prec ?? 0, '0') : undefined;
    case 'f':
    case 'F':
      return typeof value === 'number' ? sign(value) + Math.abs(value).toFixed(prec ?? 6) : undefined;
    case 'x':
    case 'X': {
      const hex = isInt ? sign(value) + Math.abs(value).toString(16) : typeof value === 'string' ? hexBytes(value) : undefined;
      return verb === 'X' ? hex?.toUpperCase() : hex;
    }
    case 'c':
      return isInt ? String.fromCodePoint(value) : undefined;
    default:
      return undefined;
  }
}

const hexBytes = (text: string): string => [...utf8.encode(text)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** Go's eq: is the first argument equal to any of the others? */
function eq([first, ...others]: unknown[]): boolean {
  if (!others.length) throw new CallError('missing argument for comparison');
  return others.some((other) => equal(first, other));
}

const any = Number.POSITIVE_INFINITY;
const lastEvaluated = (args: unknown[]): unknown => args[args.length - 1];
const FUNCTIONS = new Map<string, Builtin>([
  // `call` stops evaluating at the deciding argument, so the last one evaluated is the result.
  ['and', { min: 1, max: any, shortCircuitOn: false, run: lastEvaluated }],
  ['or', { min: 1, max: any, shortCircuitOn: true, run: lastEvaluated }],
  ['not', { min: 1, max: 1, run: ([v]) => !isTrue(v) }],
  ['len', { min: 1, max: 1, run: ([v]) => length(v) }],
  ['index', { min: 1, max: any, run: index }],
  ['print', { min: 0, max: any, run: sprint }],
  ['printf', { min: 1, max: any, run: sprintf }],
  ['println', { min: 0, max: any, run: (args) => `${args.map(format).join(' ')}\n` }],
  ['html', { min: 0, max: any, run: (args) => htmlEscape(textArg(args)) }],
  ['urlquery', { min: 0, max: any, run: (args) => urlQuery(textArg(args)) }],
  ['js', { min: 0, max: any, run: (args) => jsEscape(textArg(args)) }],
  ['eq', { min: 1, max: any, run: eq }],
  ['ne', { min: 2, max: 2, run: ([a, b]) => !equal(a, b) }],
  ['lt', { min: 2, max: 2, run: ([a, b]) => less(a, b) }],
  ['le', { min: 2, max: 2, run: ([a, b]) => less(a, b) || equal(a, b) }],
  ['gt', { min: 2, max: 2, run: ([a, b]) => !less(a, b) && !equal(a, b) }],
  ['ge', { min: 2, max: 2, run: ([a, b]) => !less(a, b) }],
]);
