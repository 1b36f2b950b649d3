import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_SUBSCRIPTION_POLICY, TOPICS, deadLetterTopicOf } from '../../shared/bus/bus';
import { pluginNamed } from '../../shared/plugins/registry';
import { DEPLOYED_TOPICS, FUNCTIONS, SECRETS, type FunctionSpec } from '../../shared/runtime/deployment';
import { REPO_ROOT } from '../support/config';

/**
 * infra/terraform is the deployment the code assumes: these tests parse every .tf file, expand
 * it the way `terraform plan` would (locals, variables, for_each, dynamic blocks) and hold the
 * result to shared/runtime/deployment.ts, shared/bus/bus.ts, infra/firestore and infra/runner.
 * No provider is downloaded, so values that only exist after apply (a function's URL, a service
 * account's email) stay symbolic references, which is all the checks need: "the push endpoint is
 * the events function's URL" is a statement about references.
 */

/**
 * hcl2json (HashiCorp's HCL parser compiled to WebAssembly). Loaded untyped on purpose: its
 * declarations pull the DOM library into the whole program, which retypes Node's fetch.
 */
const hcl2json = createRequire(import.meta.url)('@cdktf/hcl2json') as {
  parse(filename: string, contents: string): Promise<Record<string, unknown>>;
};

const TERRAFORM_DIR = path.join(REPO_ROOT, 'infra/terraform');
const INDEX_FILE = path.join(REPO_ROOT, 'infra/firestore/firestore.indexes.json');
const RULES_FILE = path.join(REPO_ROOT, 'infra/firestore/firestore.rules');
const RUNNER_BASE = path.join(REPO_ROOT, 'infra/runner/base');

/** What an operator would put in terraform.tfvars; report_topics is set so its grants get checked. */
const TFVARS = { project_id: 'cutwater-test', report_topics: ['projects/elsewhere/topics/prow-reports'] };

// ---------------------------------------------------------------------------------------------
// Values and expressions
// ---------------------------------------------------------------------------------------------

/** A value Terraform only knows after apply: a reference such as `google_x.y["k"].email`. */
class Unknown {
  constructor(readonly text: string) {}
}
type Value = null | boolean | number | string | Unknown | Value[] | { [key: string]: Value };
type ValueObject = { [key: string]: Value };

function isObject(value: Value | undefined): value is ValueObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Unknown);
}

type Expr =
  | { kind: 'literal'; value: Value }
  | { kind: 'template'; parts: (string | Expr)[] }
  | { kind: 'name'; name: string }
  | { kind: 'attr'; of: Expr; name: string }
  | { kind: 'index'; of: Expr; key: Expr }
  | { kind: 'call'; fn: string; args: Expr[]; expand: boolean }
  | { kind: 'tuple'; items: Expr[] }
  | { kind: 'object'; items: [Expr, Expr][] }
  | { kind: 'for'; keyVar?: string; valueVar: string; collection: Expr; key?: Expr; value: Expr; cond?: Expr; group: boolean }
  | { kind: 'unary'; op: '!' | '-'; operand: Expr }
  | { kind: 'binary'; op: string; left: Expr; right: Expr }
  | { kind: 'conditional'; cond: Expr; then: Expr; otherwise: Expr };

const BINARY_LEVELS = [['||'], ['&&'], ['==', '!='], ['<=', '>=', '<', '>'], ['+', '-'], ['*', '/', '%']];
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_-]*/y;
const NUMBER = /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Terraform's expression syntax, as much of it as a module uses: hcl2json gives blocks and
 * attributes as JSON but leaves every expression as its source text inside "${...}".
 */
class ExpressionParser {
  private pos = 0;
  private constructor(private readonly src: string) {}

  /** A string from hcl2json: a template whose only interpolation, if alone, keeps its type. */
  static template(src: string): Expr {
    const parser = new ExpressionParser(src);
    const parts = parser.templateBody(false);
    if (parts.length === 1 && typeof parts[0] !== 'string' && parts[0]) return parts[0];
    return { kind: 'template', parts };
  }

  private fail(message: string): never {
    throw new Error(`${message} at offset ${this.pos} of ${JSON.stringify(this.src)}`);
  }

  private skipSpace(): void {
    for (;;) {
      const rest = this.src.slice(this.pos);
      const space = /^\s+/.exec(rest);
      if (space) this.pos += space[0].length;
      else if (rest.startsWith('#') || rest.startsWith('//')) this.pos = this.lineEnd();
      else if (rest.startsWith('/*')) this.pos = this.src.indexOf('*/', this.pos) + 2;
      else return;
    }
  }

  private lineEnd(): number {
    const end = this.src.indexOf('\n', this.pos);
    return end === -1 ? this.src.length : end;
  }

  private eat(token: string): boolean {
    this.skipSpace();
    if (!this.src.startsWith(token, this.pos)) return false;
    this.pos += token.length;
    return true;
  }

  private expect(token: string): void {
    if (!this.eat(token)) this.fail(`expected "${token}"`);
  }

  private identifier(): string | undefined {
    this.skipSpace();
    IDENTIFIER.lastIndex = this.pos;
    const match = IDENTIFIER.exec(this.src);
    if (!match) return undefined;
    this.pos += match[0].length;
    return match[0];
  }

  private peekKeyword(word: string): boolean {
    this.skipSpace();
    return new RegExp(`^${word}(?![A-Za-z0-9_-])`).test(this.src.slice(this.pos));
  }

  /** Literal text and interpolations up to the end (or the closing quote of a quoted string). */
  private templateBody(quoted: boolean): (string | Expr)[] {
    const parts: (string | Expr)[] = [];
    let text = '';
    const flush = (): void => {
      if (text !== '') parts.push(text);
      text = '';
    };
    for (;;) {
      if (this.pos >= this.src.length) {
        if (quoted) this.fail('unterminated string');
        break;
      }
      const rest = this.src.slice(this.pos, this.pos + 3);
      if (quoted && rest.startsWith('"')) {
        this.pos += 1;
        break;
      }
      if (rest === '$${' || rest === '%%{') {
        text += rest.slice(1);
        this.pos += 3;
      } else if (rest.startsWith('${')) {
        flush();
        this.pos += 2;
        this.eat('~');
        parts.push(this.expression());
        this.eat('~');
        this.expect('}');
      } else if (rest.startsWith('%{')) {
        this.fail('template directives (%{...}) are not supported by this checker');
      } else if (quoted && rest.startsWith('\\')) {
        const escaped = this.src[this.pos + 1] ?? '';
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };
        if (escaped in simple) {
          text += simple[escaped];
          this.pos += 2;
        } else if (escaped === 'u') {
          text += String.fromCharCode(parseInt(this.src.slice(this.pos + 2, this.pos + 6), 16));
          this.pos += 6;
        } else this.fail(`unknown escape \\${escaped}`);
      } else {
        text += this.src[this.pos];
        this.pos += 1;
      }
    }
    flush();
    return parts;
  }

  private expression(): Expr {
    const cond = this.binary(0);
    if (!this.eat('?')) return cond;
    const then = this.expression();
    this.expect(':');
    return { kind: 'conditional', cond, then, otherwise: this.expression() };
  }

  private binary(level: number): Expr {
    const operators = BINARY_LEVELS[level];
    if (!operators) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      this.skipSpace();
      // `=>` (for expressions) is not `==`, and `...` is not an operator at all.
      const op = operators.find((candidate) => this.src.startsWith(candidate, this.pos) && !this.src.startsWith('=>', this.pos));
      if (!op) return left;
      this.pos += op.length;
      left = { kind: 'binary', op, left, right: this.binary(level + 1) };
    }
  }

  private unary(): Expr {
    if (this.eat('!')) return { kind: 'unary', op: '!', operand: this.unary() };
    if (this.eat('-')) return { kind: 'unary', op: '-', operand: this.unary() };
    return this.postfix(this.primary());
  }

  private postfix(expr: Expr): Expr {
    for (;;) {
      this.skipSpace();
      if (this.src.startsWith('...', this.pos)) return expr;
      if (this.src.startsWith('[*]', this.pos) || this.src.startsWith('.*', this.pos)) {
        this.fail('splat expressions are not supported');
      }
      if (this.eat('.')) {
        NUMBER.lastIndex = this.pos;
        const digits = NUMBER.exec(this.src);
        if (digits) {
          this.pos += digits[0].length;
          expr = { kind: 'index', of: expr, key: { kind: 'literal', value: Number(digits[0]) } };
        } else {
          expr = { kind: 'attr', of: expr, name: this.identifier() ?? this.fail('expected an attribute name') };
        }
      } else if (this.src[this.pos] === '[') {
        this.pos += 1;
        expr = { kind: 'index', of: expr, key: this.expression() };
        this.expect(']');
      } else return expr;
    }
  }

  private primary(): Expr {
    this.skipSpace();
    const ch = this.src[this.pos];
    if (ch === '"') {
      this.pos += 1;
      const parts = this.templateBody(true);
      return { kind: 'template', parts };
    }
    if (ch === '(') {
      this.pos += 1;
      const inner = this.expression();
      this.expect(')');
      return inner;
    }
    if (ch === '[') {
      this.pos += 1;
      if (this.peekKeyword('for')) return this.forExpression(']');
      const items: Expr[] = [];
      while (!this.eat(']')) {
        items.push(this.expression());
        this.eat(',');
      }
      return { kind: 'tuple', items };
    }
    if (ch === '{') {
      this.pos += 1;
      if (this.peekKeyword('for')) return this.forExpression('}');
      return this.objectBody();
    }
    if (ch === '<' && this.src.startsWith('<<', this.pos)) this.fail('heredocs inside expressions are not supported');
    NUMBER.lastIndex = this.pos;
    const number = NUMBER.exec(this.src);
    if (number) {
      this.pos += number[0].length;
      return { kind: 'literal', value: Number(number[0]) };
    }
    const name = this.identifier() ?? this.fail('expected an expression');
    if (name === 'true' || name === 'false') return { kind: 'literal', value: name === 'true' };
    if (name === 'null') return { kind: 'literal', value: null };
    if (this.eat('(')) {
      const args: Expr[] = [];
      let expand = false;
      while (!this.eat(')')) {
        args.push(this.expression());
        if (this.eat('...')) expand = true;
        this.eat(',');
      }
      return { kind: 'call', fn: name, args, expand };
    }
    return { kind: 'name', name };
  }

  private objectBody(): Expr {
    const items: [Expr, Expr][] = [];
    while (!this.eat('}')) {
      const start = this.pos;
      const bare = this.identifier();
      let key: Expr;
      if (bare !== undefined && (this.peekSymbol('=') || this.peekSymbol(':'))) key = { kind: 'literal', value: bare };
      else {
        this.pos = start;
        key = this.expression();
      }
      if (!this.eat('=')) this.expect(':');
      items.push([key, this.expression()]);
      this.eat(',');
    }
    return { kind: 'object', items };
  }

  private peekSymbol(symbol: string): boolean {
    this.skipSpace();
    const rest = this.src.slice(this.pos);
    return rest.startsWith(symbol) && !rest.startsWith(symbol + symbol) && !rest.startsWith('=>');
  }

  private forExpression(close: ']' | '}'): Expr {
    this.expect('for');
    const first = this.identifier() ?? this.fail('expected a variable name');
    const second = this.eat(',') ? (this.identifier() ?? this.fail('expected a variable name')) : undefined;
    if (!this.peekKeyword('in')) this.fail('expected "in"');
    this.expect('in');
    const collection = this.expression();
    this.expect(':');
    let key: Expr | undefined;
    let value = this.expression();
    if (close === '}') {
      this.expect('=>');
      key = value;
      value = this.expression();
    }
    const group = close === '}' && this.eat('...');
    let cond: Expr | undefined;
    if (this.peekKeyword('if')) {
      this.expect('if');
      cond = this.expression();
    }
    this.expect(close);
    return {
      kind: 'for',
      ...(second === undefined ? { valueVar: first } : { keyVar: first, valueVar: second }),
      collection,
      ...(key ? { key } : {}),
      value,
      ...(cond ? { cond } : {}),
      group,
    };
  }
}

/** The named things an expression can start from that are not plain values. */
class Namespace {
  constructor(
    readonly kind: 'local' | 'var' | 'data' | 'resource',
    readonly prefix = '',
  ) {}
}
type Scope = ReadonlyMap<string, Value>;

interface FileAccess {
  read(file: string): string;
  exists(file: string): boolean;
  list(dir: string): string[];
}

const realFiles: FileAccess = {
  read: (file) => readFileSync(file, 'utf8'),
  exists: (file) => existsSync(file),
  list: (dir) =>
    existsSync(dir)
      ? readdirSync(dir, { recursive: true, withFileTypes: true })
          .filter((entry) => entry.isFile())
          .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
      : [],
};

function describeValue(value: Value): string {
  return value instanceof Unknown ? value.text : JSON.stringify(value);
}

function asString(value: Value, what: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`${what}: expected a string, got ${describeValue(value)}`);
}

function asList(value: Value, what: string): Value[] {
  if (Array.isArray(value)) return value;
  throw new Error(`${what}: expected a list, got ${describeValue(value)}`);
}

function asObject(value: Value, what: string): ValueObject {
  if (isObject(value)) return value;
  throw new Error(`${what}: expected an object, got ${describeValue(value)}`);
}

function sameValue(a: Value, b: Value): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function fromJson(value: unknown): Value {
  if (Array.isArray(value)) return value.map(fromJson);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fromJson(item)]));
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  throw new Error(`not a JSON value: ${String(value)}`);
}

/** Evaluates expressions against one module's locals and variables, like `terraform plan`. */
class Evaluator {
  private readonly localValues = new Map<string, Value>();
  private readonly evaluating = new Set<string>();

  constructor(
    private readonly locals: Record<string, unknown>,
    private readonly variables: Record<string, Value>,
    private readonly moduleDir: string,
    private readonly files: FileAccess,
  ) {}

  raw(raw: unknown, scope: Scope): Value {
    if (typeof raw === 'string') return this.expr(ExpressionParser.template(raw), scope);
    if (Array.isArray(raw)) return raw.map((item) => this.raw(item, scope));
    if (typeof raw === 'object' && raw !== null) return this.body(raw as Record<string, unknown>, scope);
    return fromJson(raw);
  }

  /** A block's body (or an object literal): `dynamic` blocks are expanded in place. */
  body(raw: Record<string, unknown>, scope: Scope, skip: ReadonlySet<string> = new Set()): ValueObject {
    const out: ValueObject = {};
    for (const [key, item] of Object.entries(raw)) {
      if (skip.has(key)) continue;
      if (key === 'dynamic') {
        this.expandDynamic(item, scope, out);
        continue;
      }
      const value = this.raw(item, scope);
      // Blocks written out and blocks made by `dynamic` of the same type add up.
      const existing = out[key];
      out[key] = Array.isArray(existing) && Array.isArray(value) ? [...value, ...existing] : value;
    }
    return out;
  }

  private expandDynamic(raw: unknown, scope: Scope, out: ValueObject): void {
    for (const [name, specs] of Object.entries(raw as Record<string, Record<string, unknown>[]>)) {
      for (const spec of specs) {
        const iterator = typeof spec.iterator === 'string' ? spec.iterator.replace(/^\$\{|\}$/g, '') : name;
        const blocks = (Array.isArray(out[name]) ? out[name] : []) as Value[];
        const collection = this.raw(spec.for_each, scope);
        // Unlike a resource's for_each, a dynamic block may iterate a list, keyed by position.
        const items: [Value, Value][] = Array.isArray(collection)
          ? collection.map((item, index) => [index, item])
          : this.entries(collection, `dynamic "${name}" for_each`);
        for (const [key, value] of items) {
          const inner = new Map(scope).set(iterator, { key, value });
          const content = (spec.content as Record<string, unknown>[] | undefined)?.[0] ?? {};
          blocks.push(this.body(content, inner));
        }
        out[name] = blocks;
      }
    }
  }

  /** for_each semantics: an object's keys in order, a set's (or list's) elements as their own keys. */
  entries(collection: Value, what: string): [string, Value][] {
    if (isObject(collection)) return Object.keys(collection).sort().map((key) => [key, collection[key] ?? null]);
    if (Array.isArray(collection)) return collection.map((item) => [asString(item, what), item]);
    throw new Error(`${what} must be known from the configuration alone, got ${describeValue(collection)}`);
  }

  local(name: string): Value {
    const cached = this.localValues.get(name);
    if (cached !== undefined) return cached;
    if (!(name in this.locals)) throw new Error(`local.${name} is not defined`);
    if (this.evaluating.has(name)) throw new Error(`local.${name} refers to itself`);
    this.evaluating.add(name);
    try {
      const value = this.raw(this.locals[name], new Map());
      this.localValues.set(name, value);
      return value;
    } finally {
      this.evaluating.delete(name);
    }
  }

  expr(expr: Expr, scope: Scope): Value {
    const value = this.term(expr, scope);
    if (value instanceof Namespace) {
      throw new Error(`${value.kind === 'resource' ? value.prefix : value.kind} is not a value by itself`);
    }
    return value;
  }

  /** Like expr, but a traversal may stop at `local`, `var`, `data` or a resource type. */
  private term(expr: Expr, scope: Scope): Value | Namespace {
    switch (expr.kind) {
      case 'literal':
        return expr.value;
      case 'template': {
        const parts = expr.parts.map((part) => (typeof part === 'string' ? part : this.expr(part, scope)));
        if (parts.some((part) => part instanceof Unknown)) {
          const text = parts.map((part) => (part instanceof Unknown ? `\${${part.text}}` : asString(part, 'template')));
          return new Unknown(text.join(''));
        }
        return parts.map((part) => asString(part, 'template')).join('');
      }
      case 'name':
        return this.name(expr.name, scope);
      case 'attr':
        return this.attribute(this.term(expr.of, scope), expr.name);
      case 'index':
        return this.index(this.term(expr.of, scope), this.expr(expr.key, scope));
      case 'call':
        return this.call(expr.fn, expr.args.map((arg) => this.expr(arg, scope)), expr.expand);
      case 'tuple':
        return expr.items.map((item) => this.expr(item, scope));
      case 'object':
        return Object.fromEntries(
          expr.items.map(([key, value]) => [asString(this.expr(key, scope), 'object key'), this.expr(value, scope)]),
        );
      case 'for':
        return this.forExpression(expr, scope);
      case 'unary': {
        const operand = this.expr(expr.operand, scope);
        if (operand instanceof Unknown) return new Unknown(`${expr.op}${operand.text}`);
        return expr.op === '!' ? !operand : -(operand as number);
      }
      case 'binary':
        return this.binary(expr.op, this.expr(expr.left, scope), this.expr(expr.right, scope));
      case 'conditional': {
        const cond = this.expr(expr.cond, scope);
        if (cond instanceof Unknown) return new Unknown(`${cond.text} ? ... : ...`);
        return this.expr(cond ? expr.then : expr.otherwise, scope);
      }
    }
  }

  private name(name: string, scope: Scope): Value | Namespace {
    const bound = scope.get(name);
    if (bound !== undefined) return bound;
    switch (name) {
      case 'local':
        return new Namespace('local');
      case 'var':
        return new Namespace('var');
      case 'data':
        return new Namespace('data');
      case 'path':
        return { module: this.moduleDir, root: this.moduleDir, cwd: this.moduleDir };
      case 'terraform':
        return { workspace: 'default' };
      default:
        return new Namespace('resource', name);
    }
  }

  private attribute(of: Value | Namespace, name: string): Value | Namespace {
    if (of instanceof Namespace) {
      if (of.kind === 'local') return this.local(name);
      if (of.kind === 'var') return name in this.variables ? (this.variables[name] ?? null) : new Unknown(`var.${name}`);
      if (of.kind === 'data') return new Namespace('resource', `data.${name}`);
      return new Unknown(`${of.prefix}.${name}`);
    }
    if (of instanceof Unknown) return new Unknown(`${of.text}.${name}`);
    if (isObject(of)) {
      if (!(name in of)) throw new Error(`unsupported attribute "${name}" on ${describeValue(of)}`);
      return of[name] ?? null;
    }
    throw new Error(`cannot read attribute "${name}" of ${describeValue(of)}`);
  }

  private index(of: Value | Namespace, key: Value): Value {
    if (of instanceof Namespace) throw new Error(`cannot index ${of.kind}.${of.prefix}`);
    if (of instanceof Unknown) {
      const shown = key instanceof Unknown ? key.text : typeof key === 'number' ? String(key) : JSON.stringify(key);
      return new Unknown(`${of.text}[${shown}]`);
    }
    if (key instanceof Unknown) return new Unknown(`${describeValue(of)}[${key.text}]`);
    if (Array.isArray(of) && typeof key === 'number') {
      if (key >= of.length) throw new Error(`index ${key} out of range`);
      return of[key] ?? null;
    }
    if (isObject(of) && typeof key === 'string') {
      if (!(key in of)) throw new Error(`no element "${key}" in ${describeValue(of)}`);
      return of[key] ?? null;
    }
    throw new Error(`cannot index ${describeValue(of)} with ${describeValue(key)}`);
  }

  private forExpression(expr: Extract<Expr, { kind: 'for' }>, scope: Scope): Value {
    const collection = this.expr(expr.collection, scope);
    if (collection instanceof Unknown) return new Unknown(`[for ... in ${collection.text}]`);
    const items: [Value, Value][] = isObject(collection)
      ? Object.keys(collection).sort().map((key) => [key, collection[key] ?? null])
      : asList(collection, 'for expression').map((item, index) => [index, item]);
    const objectOut: Record<string, Value> = {};
    const listOut: Value[] = [];
    for (const [key, value] of items) {
      const inner = new Map(scope).set(expr.valueVar, value);
      if (expr.keyVar) inner.set(expr.keyVar, key);
      if (expr.cond) {
        const keep = this.expr(expr.cond, inner);
        if (keep instanceof Unknown) return new Unknown(`[for ... if ${keep.text}]`);
        if (!keep) continue;
      }
      const produced = this.expr(expr.value, inner);
      if (!expr.key) {
        listOut.push(produced);
        continue;
      }
      const outKey = asString(this.expr(expr.key, inner), 'for expression key');
      if (expr.group) objectOut[outKey] = [...((objectOut[outKey] as Value[] | undefined) ?? []), produced];
      else if (outKey in objectOut) throw new Error(`duplicate key "${outKey}" in a for expression (add ... to group)`);
      else objectOut[outKey] = produced;
    }
    return expr.key ? objectOut : listOut;
  }

  private binary(op: string, left: Value, right: Value): Value {
    if (left instanceof Unknown || right instanceof Unknown) {
      return new Unknown(`${describeValue(left)} ${op} ${describeValue(right)}`);
    }
    switch (op) {
      case '==':
        return sameValue(left, right);
      case '!=':
        return !sameValue(left, right);
      case '&&':
        return Boolean(left) && Boolean(right);
      case '||':
        return Boolean(left) || Boolean(right);
    }
    const [a, b] = [Number(left), Number(right)];
    const arithmetic: Record<string, number | boolean> = {
      '+': a + b,
      '-': a - b,
      '*': a * b,
      '/': a / b,
      '%': a % b,
      '<': a < b,
      '>': a > b,
      '<=': a <= b,
      '>=': a >= b,
    };
    const result = arithmetic[op];
    if (result === undefined) throw new Error(`unsupported operator ${op}`);
    return result;
  }

  private call(fn: string, args: Value[], expand: boolean): Value {
    if (expand) args = [...args.slice(0, -1), ...asList(args.at(-1) ?? null, `${fn}(...)`)];
    if (fn !== 'merge' && fn !== 'coalesce' && args.some((arg) => arg instanceof Unknown)) {
      return new Unknown(`${fn}(${args.map(describeValue).join(', ')})`);
    }
    const str = (i: number): string => asString(args[i] ?? null, `${fn}() argument ${i + 1}`);
    const list = (i: number): Value[] => asList(args[i] ?? null, `${fn}() argument ${i + 1}`);
    const unique = (items: Value[]): Value[] =>
      items.filter((item, i) => items.findIndex((other) => sameValue(other, item)) === i);
    const resolve = (file: string): string => path.resolve(this.moduleDir, file);
    switch (fn) {
      case 'file':
        return this.files.read(resolve(str(0)));
      case 'fileexists':
        return this.files.exists(resolve(str(0)));
      case 'fileset': {
        const pattern = str(1);
        if (pattern !== '**' && pattern !== '*') throw new Error(`fileset pattern "${pattern}" is not supported by this checker`);
        const found = this.files.list(resolve(str(0))).filter((file) => pattern === '**' || !file.includes(path.sep));
        return found.sort();
      }
      case 'jsondecode':
        return fromJson(JSON.parse(str(0)));
      case 'jsonencode':
        return JSON.stringify(args[0]);
      case 'merge': {
        const merged: ValueObject = {};
        for (const arg of args) {
          if (arg === null) continue;
          if (arg instanceof Unknown) return new Unknown(`merge(${args.map(describeValue).join(', ')})`);
          Object.assign(merged, asObject(arg, 'merge() argument'));
        }
        return merged;
      }
      case 'coalesce':
        return args.find((arg) => arg !== null && arg !== '') ?? null;
      case 'keys':
        return Object.keys(asObject(args[0] ?? null, 'keys()')).sort();
      case 'values': {
        const object = asObject(args[0] ?? null, 'values()');
        return Object.keys(object).sort().map((key) => object[key] ?? null);
      }
      case 'lookup': {
        const object = asObject(args[0] ?? null, 'lookup()');
        const key = str(1);
        if (key in object) return object[key] ?? null;
        if (args.length < 3) throw new Error(`lookup(): no key "${key}" and no default`);
        return args[2] ?? null;
      }
      case 'contains':
        return list(0).some((item) => sameValue(item, args[1] ?? null));
      case 'length': {
        const arg = args[0] ?? null;
        return typeof arg === 'string' ? arg.length : isObject(arg) ? Object.keys(arg).length : list(0).length;
      }
      case 'join':
        return list(1).map((item) => asString(item, 'join()')).join(str(0));
      case 'concat':
        return args.flatMap((_, i) => list(i));
      case 'flatten': {
        const flat = (items: Value[]): Value[] => items.flatMap((item) => (Array.isArray(item) ? flat(item) : [item]));
        return flat(list(0));
      }
      case 'lower':
        return str(0).toLowerCase();
      case 'upper':
        return str(0).toUpperCase();
      case 'tostring':
        return str(0);
      case 'toset':
        return unique(list(0)).sort((a, b) => describeValue(a).localeCompare(describeValue(b)));
      case 'setsubtract':
        return list(0).filter((item) => !list(1).some((other) => sameValue(other, item)));
      case 'sort':
        return list(0).map((item) => asString(item, 'sort()')).sort();
      case 'tolist':
      case 'tomap':
        return args[0] ?? null;
      default:
        throw new Error(`function ${fn}() is not supported by this checker; teach it, or write the Terraform without it`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The module, expanded
// ---------------------------------------------------------------------------------------------

interface Instance {
  /** As Terraform prints it: `google_pubsub_topic.dead_letter["events"]`. */
  readonly address: string;
  readonly type: string;
  readonly attrs: ValueObject;
}

interface TerraformModel {
  readonly instances: readonly Instance[];
  readonly variables: Readonly<Record<string, { description?: Value }>>;
  readonly outputs: Readonly<Record<string, Value>>;
  readonly requiredProviders: Readonly<Record<string, Value>>;
}

type HclJson = Record<string, unknown>;
const META_ARGUMENTS = new Set(['for_each', 'count', 'depends_on', 'lifecycle', 'provider', 'provisioner', 'connection']);

/** Parses every .tf file in `dir` and expands it with these variable values, as `terraform plan` would. */
async function loadModule(
  dir: string,
  variables: Record<string, Value>,
  files: FileAccess = realFiles,
): Promise<TerraformModel> {
  const tfFiles = readdirSync(dir).filter((file) => file.endsWith('.tf')).sort();
  if (tfFiles.length === 0) throw new Error(`no .tf files in ${dir}`);
  const parsed: HclJson[] = [];
  for (const file of tfFiles) {
    try {
      parsed.push(await hcl2json.parse(file, readFileSync(path.join(dir, file), 'utf8')));
    } catch (error) {
      throw new Error(`${file} does not parse as HCL`, { cause: error });
    }
  }
  const blocksOf = (kind: string): [string, HclJson][] =>
    parsed.flatMap((doc) =>
      Object.entries((doc[kind] ?? {}) as Record<string, HclJson[]>).map(([name, bodies]): [string, HclJson] => [
        name,
        bodies[0] ?? {},
      ]),
    );
  const locals = Object.assign({}, ...parsed.flatMap((doc) => (doc.locals ?? []) as HclJson[])) as HclJson;

  const declared = Object.fromEntries(blocksOf('variable'));
  const unknownVariable = Object.keys(variables).find((name) => !(name in declared));
  if (unknownVariable) throw new Error(`tfvars set "${unknownVariable}", which no variable block declares`);
  const bootstrap = new Evaluator({}, {}, dir, files);
  const values: Record<string, Value> = {};
  for (const [name, body] of Object.entries(declared)) {
    if (name in variables) values[name] = variables[name] ?? null;
    else if ('default' in body) values[name] = bootstrap.raw(body.default, new Map());
  }
  const evaluator = new Evaluator(locals, values, dir, files);

  const instances: Instance[] = [];
  for (const [mode, prefix] of [
    ['resource', ''],
    ['data', 'data.'],
  ] as const) {
    for (const doc of parsed) {
      for (const [type, byName] of Object.entries((doc[mode] ?? {}) as Record<string, Record<string, HclJson[]>>)) {
        for (const [name, bodies] of Object.entries(byName)) {
          const body = bodies[0] ?? {};
          const base = `${prefix}${type}.${name}`;
          const expand = (address: string, scope: Scope): void => {
            try {
              instances.push({ address, type: `${prefix}${type}`, attrs: evaluator.body(body, scope, META_ARGUMENTS) });
            } catch (error) {
              throw new Error(`cannot evaluate ${address}: ${(error as Error).message}`, { cause: error });
            }
          };
          if ('for_each' in body) {
            const collection = evaluator.raw(body.for_each, new Map());
            for (const [key, value] of evaluator.entries(collection, `${base} for_each`)) {
              expand(`${base}[${JSON.stringify(key)}]`, new Map([['each', { key, value }]]));
            }
          } else if ('count' in body) {
            const count = evaluator.raw(body.count, new Map());
            if (typeof count !== 'number') throw new Error(`${base}: count must be known, got ${describeValue(count)}`);
            for (let index = 0; index < count; index++) expand(`${base}[${index}]`, new Map([['count', { index }]]));
          } else expand(base, new Map());
        }
      }
    }
  }

  const top = new Map<string, Value>();
  const outputs = Object.fromEntries(blocksOf('output').map(([name, body]) => [name, evaluator.raw(body.value, top)]));
  const providerBlocks = parsed
    .flatMap((doc) => (doc.terraform ?? []) as HclJson[])
    .flatMap((block) => (block.required_providers ?? []) as HclJson[]);
  const requiredProviders = Object.assign({}, ...providerBlocks.map((block) => evaluator.raw(block, top))) as ValueObject;
  const variableInfo = Object.fromEntries(
    Object.entries(declared).map(([name, body]) => [
      name,
      'description' in body ? { description: evaluator.raw(body.description, top) } : {},
    ]),
  );
  return { instances, variables: variableInfo, outputs, requiredProviders };
}

// ---------------------------------------------------------------------------------------------
// Reading references and IAM grants out of the expanded module
// ---------------------------------------------------------------------------------------------

const ADDRESS = /^((?:data\.)?[A-Za-z0-9_]+\.[A-Za-z0-9_-]+(?:\[(?:"(?:[^"\\]|\\.)*"|\d+)\])?)(?:\.|\[|$)/;

/** The resource instance a reference points into: `google_x.y["k"].email` → `google_x.y["k"]`. */
function addressOf(value: Value | undefined): string | undefined {
  return value instanceof Unknown ? ADDRESS.exec(value.text)?.[1] : undefined;
}

/** Every resource instance a (template) value refers to, in order. */
function addressesIn(value: Value | undefined): string[] {
  if (!(value instanceof Unknown)) return [];
  const inner = [...value.text.matchAll(/\$\{([^}]*)\}/g)].map((match) => match[1] ?? '');
  return (inner.length > 0 ? inner : [value.text]).flatMap((text) => ADDRESS.exec(text)?.[1] ?? []);
}

/** `serviceAccount:${google_service_account.x.email}` → the account's address; literals as written. */
function principalOf(member: Value | undefined): string {
  if (typeof member === 'string') return member;
  return addressesIn(member)[0] ?? describeValue(member ?? null);
}

function blocks(value: Value | undefined): ValueObject[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

function first(value: Value | undefined): ValueObject {
  return blocks(value)[0] ?? {};
}

function shown(value: Value | undefined): string {
  return describeValue(value ?? null);
}

interface Grant {
  readonly principal: string;
  readonly role: string;
  /** `project`, the address of the resource granted on, or a literal resource name. */
  readonly on: string;
  readonly from: string;
}

function grantKey(grant: Pick<Grant, 'on' | 'role'>): string {
  return `${grant.role} on ${grant.on}`;
}

/** The attribute naming what each IAM member resource grants on; `project` for project-wide. */
const IAM_TARGET: Readonly<Record<string, string>> = {
  google_project_iam_member: 'project',
  google_storage_bucket_iam_member: 'bucket',
  google_pubsub_topic_iam_member: 'topic',
  google_pubsub_subscription_iam_member: 'subscription',
  google_secret_manager_secret_iam_member: 'secret_id',
  google_service_account_iam_member: 'service_account_id',
  google_cloud_run_v2_service_iam_member: 'name',
  google_cloud_run_v2_job_iam_member: 'name',
  google_cloud_run_service_iam_member: 'service',
  google_cloudfunctions2_function_iam_member: 'cloud_function',
};

/** Lookups over one expanded module, shared by the checks. */
class ModuleView {
  readonly grants: Grant[] = [];
  /** IAM resources the checker cannot read, so cannot vouch for. */
  readonly unreadable: string[] = [];
  private readonly byAddress: Map<string, Instance>;

  constructor(readonly model: TerraformModel) {
    this.byAddress = new Map(model.instances.map((instance) => [instance.address, instance]));
    for (const instance of model.instances) {
      if (!/_iam_(member|binding|policy)$/.test(instance.type)) continue;
      const attribute = IAM_TARGET[instance.type];
      if (!attribute) {
        this.unreadable.push(`${instance.address}: the checker does not know what ${instance.type} grants; use a known *_iam_member type`);
        continue;
      }
      const target = instance.attrs[attribute];
      const on = attribute === 'project' ? 'project' : (addressOf(target) ?? (typeof target === 'string' ? target : shown(target)));
      this.grants.push({ principal: principalOf(instance.attrs.member), role: String(instance.attrs.role), on, from: instance.address });
    }
  }

  of(type: string): Instance[] {
    return this.model.instances.filter((instance) => instance.type === type);
  }

  instance(address: string): Instance | undefined {
    return this.byAddress.get(address);
  }

  target(value: Value | undefined): Instance | undefined {
    return this.byAddress.get(addressOf(value) ?? '');
  }

  /** Follows `name = google_pubsub_topic.x.name`-style references to the value they copy. */
  literal(value: Value | undefined, depth = 0): Value | undefined {
    const reference = value instanceof Unknown ? /^(.*)\.([a-z_]+)$/.exec(value.text) : null;
    const copied = reference ? this.byAddress.get(reference[1] ?? '')?.attrs[reference[2] ?? ''] : undefined;
    return copied !== undefined && depth < 5 ? this.literal(copied, depth + 1) : value;
  }

  named(type: string, attr: string, name: string): Instance[] {
    return this.of(type).filter((instance) => this.literal(instance.attrs[attr]) === name);
  }

  /** What an attribute refers to, by that resource's name (or the literal value itself). */
  nameOf(value: Value | undefined, attr = 'name'): Value | undefined {
    const target = this.target(value);
    return target ? this.literal(target.attrs[attr]) : value;
  }

  holders(role: string, on: string): string[] {
    return this.grants.filter((g) => g.role === role && g.on === on).map((g) => g.principal);
  }

  heldBy(principal: string): Set<string> {
    return new Set(this.grants.filter((g) => g.principal === principal).map(grantKey));
  }

  addressOfNamed(type: string, attr: string, name: string): string {
    return this.named(type, attr, name)[0]?.address ?? name;
  }
}

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

interface Expectations {
  readonly project: string;
  readonly functions: readonly FunctionSpec[];
  readonly secrets: readonly string[];
  readonly topics: readonly string[];
  readonly subscriptionPolicy: Readonly<Record<keyof typeof DEFAULT_SUBSCRIPTION_POLICY, number>>;
  /** Topics each function publishes to besides its own dead-letter topic. */
  readonly publishes: Readonly<Record<string, readonly string[]>>;
  /** Functions that run Prow's crier and so may publish to the operator's report topics. */
  readonly reporting: readonly string[];
  /** What each function does with the published config snapshots. */
  readonly configAccess: Readonly<Record<string, ConfigAccess>>;
  /** Functions that read logs and artifacts from the artifacts bucket (the status pages). */
  readonly artifactReaders: readonly string[];
  /** Functions that read metrics from Cloud Monitoring (the health page's event backlog). */
  readonly monitoringReaders: readonly string[];
  readonly reportTopics: readonly string[];
  readonly firestoreIndexes: IndexFile;
  readonly firestoreRules: string;
  readonly runner: { readonly accountId: string; readonly namespace: string; readonly serviceAccount: string };
}

type ConfigAccess = 'none' | 'read' | 'write';
const CONFIG_ROLE: Readonly<Record<ConfigAccess, string | undefined>> = {
  none: undefined,
  read: 'roles/storage.objectViewer',
  // Publishing overwrites the current.json pointer, which takes delete as well as create.
  write: 'roles/storage.objectUser',
};

interface IndexField {
  fieldPath: string;
  order?: string;
  arrayConfig?: string;
}

interface IndexFile {
  indexes: { collectionGroup: string; queryScope?: string; fields: IndexField[] }[];
  fieldOverrides?: { collectionGroup: string; fieldPath: string; ttl?: boolean; indexes?: unknown[] }[];
}

const REQUIRED_ENV = ['GOOGLE_CLOUD_PROJECT', 'STATUS_URL', 'ARTIFACTS_BUCKET', 'CONFIG_SNAPSHOTS', 'GITHUB_API_URL'];
const RUN_INVOKER = 'roles/run.invoker';
const TOKEN_CREATOR = 'roles/iam.serviceAccountTokenCreator';
const PUBLISHER = 'roles/pubsub.publisher';

type Problems = string[];

/** Every way the Terraform falls short of what the code expects, one sentence each. */
function checkTerraform(model: TerraformModel, expected: Expectations): string[] {
  const view = new ModuleView(model);
  const problems: Problems = [...view.unreadable];
  for (const topic of expected.topics) {
    if (view.named('google_pubsub_topic', 'name', topic).length !== 1) problems.push(`topic ${topic} (DEPLOYED_TOPICS) is not declared`);
  }
  for (const secret of expected.secrets) {
    if (view.named('google_secret_manager_secret', 'secret_id', secret).length !== 1) {
      problems.push(`secret ${secret} (SECRETS) is not declared as a google_secret_manager_secret`);
    }
  }
  for (const version of view.of('google_secret_manager_secret_version')) {
    problems.push(`${version.address}: secret values must not pass through Terraform (they end up in its state)`);
  }
  const listed = new Set(expected.functions.map((spec) => spec.name));
  for (const fn of view.of('google_cloudfunctions2_function')) {
    const name = view.literal(fn.attrs.name);
    if (typeof name !== 'string' || !listed.has(name)) problems.push(`${fn.address} deploys ${shown(name)}, which FUNCTIONS does not list`);
  }
  const accounts = new Map<string, string>();
  for (const spec of expected.functions) checkFunction(view, expected, spec, accounts, problems);
  checkRunner(view, expected, problems);
  checkFirestore(view, expected, problems);
  for (const [name, variable] of Object.entries(model.variables)) {
    if (typeof variable.description !== 'string' || variable.description.trim() === '') {
      problems.push(`variable ${name} has no description`);
    }
  }
  for (const provider of ['google', 'google-beta']) {
    const requirement = model.requiredProviders[provider];
    if (!isObject(requirement) || typeof requirement.version !== 'string') {
      problems.push(`provider ${provider} has no version pinned in required_providers`);
    }
  }
  return problems;
}

/** The buckets as the functions' environment names them: ARTIFACTS_BUCKET and CONFIG_SNAPSHOTS. */
function buckets(view: ModuleView): { artifacts: string; config: string } {
  const env = first(view.of('google_cloudfunctions2_function')[0]?.attrs.service_config).environment_variables;
  const vars = isObject(env) ? env : {};
  return {
    artifacts: addressesIn(vars.ARTIFACTS_BUCKET)[0] ?? 'the artifacts bucket',
    config: addressesIn(vars.CONFIG_SNAPSHOTS)[0] ?? 'the config bucket',
  };
}

function checkFunction(
  view: ModuleView,
  expected: Expectations,
  spec: FunctionSpec,
  accounts: Map<string, string>,
  problems: Problems,
): void {
  const found = view.named('google_cloudfunctions2_function', 'name', spec.name);
  const fn = found[0];
  if (found.length !== 1 || !fn) {
    const count = found.length === 0 ? 'no' : 'more than one';
    problems.push(`function ${spec.name}: ${count} google_cloudfunctions2_function named "${spec.name}"`);
    return;
  }
  const where = `function ${spec.name}`;
  const build = first(fn.attrs.build_config);
  const service = first(fn.attrs.service_config);
  if (build.runtime !== 'nodejs22') problems.push(`${where}: runtime is ${shown(build.runtime)}, not nodejs22`);
  if (build.entry_point !== spec.name) problems.push(`${where}: entry_point is ${shown(build.entry_point)}, not "${spec.name}"`);
  if (spec.timeoutSeconds !== undefined && service.timeout_seconds !== spec.timeoutSeconds) {
    problems.push(`${where}: timeout is ${shown(service.timeout_seconds)} s, but the code counts on ${spec.timeoutSeconds} s`);
  }

  const env = isObject(service.environment_variables) ? service.environment_variables : {};
  for (const name of REQUIRED_ENV.filter((name) => !(name in env))) problems.push(`${where}: environment variable ${name} is not set`);
  if ('GOOGLE_CLOUD_PROJECT' in env && env.GOOGLE_CLOUD_PROJECT !== expected.project) {
    problems.push(`${where}: GOOGLE_CLOUD_PROJECT is ${shown(env.GOOGLE_CLOUD_PROJECT)}, not the project`);
  }
  if ('ARTIFACTS_BUCKET' in env && !shown(env.ARTIFACTS_BUCKET).startsWith('gs://')) {
    problems.push(`${where}: ARTIFACTS_BUCKET is not gs://…`);
  }
  if ('CONFIG_SNAPSHOTS' in env && !/^gs:\/\/.+\/snapshots$/.test(shown(env.CONFIG_SNAPSHOTS))) {
    problems.push(`${where}: CONFIG_SNAPSHOTS is not gs://<bucket>/snapshots`);
  }

  const exposed = blocks(service.secret_environment_variables).map(
    (block) => `${shown(view.nameOf(block.secret, 'secret_id'))} as ${shown(block.key)}`,
  );
  const wanted = Object.entries(spec.secrets).map(([secret, envName]) => `"${secret}" as "${envName}"`);
  for (const missing of wanted.filter((item) => !exposed.includes(item))) problems.push(`${where}: secret ${missing} is not exposed`);
  for (const extra of exposed.filter((item) => !wanted.includes(item))) {
    problems.push(`${where}: exposes secret ${extra}, which FUNCTIONS does not give it`);
  }

  checkFunctionAccount(view, expected, spec, principalOf(service.service_account_email), accounts, problems);

  const trigger = spec.trigger;
  if (trigger.kind !== 'firestore' && blocks(fn.attrs.event_trigger).length > 0) {
    problems.push(
      `${where}: has an Eventarc event_trigger, but the code expects ` +
        (trigger.kind === 'pubsub' ? 'a push subscription with a dead-letter policy (Eventarc cannot set one)' : 'an HTTPS function'),
    );
  }
  switch (trigger.kind) {
    case 'http':
      if (!view.holders(RUN_INVOKER, fn.address).includes('allUsers')) {
        problems.push(`${where}: allUsers cannot invoke it, so GitHub cannot deliver webhooks`);
      }
      if (!Object.values(view.model.outputs).some((value) => addressesIn(value).includes(fn.address))) {
        problems.push(`${where}: no output gives its URL`);
      }
      return;
    case 'pubsub':
      return checkPushSubscription(view, expected, trigger, fn, service, problems);
    case 'firestore':
      return checkFirestoreTrigger(view, trigger, fn, problems);
    case 'scheduler':
      return checkSchedulerJob(view, trigger, fn, problems);
  }
}

/** Its own service account, holding exactly what this function does and nothing more. */
function checkFunctionAccount(
  view: ModuleView,
  expected: Expectations,
  spec: FunctionSpec,
  account: string,
  accounts: Map<string, string>,
  problems: Problems,
): void {
  const where = `function ${spec.name}`;
  if (view.instance(account)?.type !== 'google_service_account') {
    problems.push(`${where}: does not run as a google_service_account declared here (it runs as ${account})`);
    return;
  }
  const sharing = accounts.get(account);
  if (sharing) problems.push(`${where}: shares its service account with function ${sharing}`);
  accounts.set(account, spec.name);
  const topic = (name: string): string => view.addressOfNamed('google_pubsub_topic', 'name', name);
  const configRole = CONFIG_ROLE[expected.configAccess[spec.name] ?? 'none'];
  const wanted = new Set([
    grantKey({ role: 'roles/datastore.user', on: 'project' }),
    ...(configRole ? [grantKey({ role: configRole, on: buckets(view).config })] : []),
    ...(expected.artifactReaders.includes(spec.name) ? [grantKey({ role: 'roles/storage.objectViewer', on: buckets(view).artifacts })] : []),
    ...(expected.monitoringReaders.includes(spec.name) ? [grantKey({ role: 'roles/monitoring.viewer', on: 'project' })] : []),
    ...Object.keys(spec.secrets).map((secret) => {
      const on = view.addressOfNamed('google_secret_manager_secret', 'secret_id', secret);
      return grantKey({ role: 'roles/secretmanager.secretAccessor', on });
    }),
    ...(expected.publishes[spec.name] ?? []).map((name) => grantKey({ role: PUBLISHER, on: topic(name) })),
    ...(spec.trigger.kind === 'pubsub' ? [grantKey({ role: PUBLISHER, on: topic(deadLetterTopicOf(spec.trigger.subscription)) })] : []),
    ...(expected.reporting.includes(spec.name) ? expected.reportTopics.map((name) => grantKey({ role: PUBLISHER, on: name })) : []),
  ]);
  const held = view.heldBy(account);
  for (const missing of [...wanted].filter((grant) => !held.has(grant))) problems.push(`${where}: its service account lacks ${missing}`);
  for (const extra of [...held].filter((grant) => !wanted.has(grant))) {
    problems.push(`${where}: its service account holds ${extra}, which it does not need`);
  }
}

/** The Pub/Sub service agent, which signs push requests and does the dead-lettering. */
function checkPubsubAgent(view: ModuleView, role: string, on: string, why: string, problems: Problems): void {
  const agent = view.of('google_project_service_identity').find((instance) => instance.attrs.service === 'pubsub.googleapis.com');
  if (!agent) problems.push(`no google_project_service_identity for pubsub.googleapis.com, so its agent lacks ${role} (${why})`);
  else if (!view.holders(role, on).includes(agent.address)) problems.push(`the Pub/Sub service agent lacks ${role} on ${on} (${why})`);
}

function checkPushSubscription(
  view: ModuleView,
  expected: Expectations,
  trigger: Extract<FunctionSpec['trigger'], { kind: 'pubsub' }>,
  fn: Instance,
  service: ValueObject,
  problems: Problems,
): void {
  const policy = expected.subscriptionPolicy;
  const found = view.named('google_pubsub_subscription', 'name', trigger.subscription);
  const subscription = found[0];
  const sub = `subscription ${trigger.subscription}`;
  if (found.length !== 1 || !subscription) {
    problems.push(`function ${String(fn.attrs.name)}: no google_pubsub_subscription named "${trigger.subscription}"`);
    return;
  }
  const attrs = subscription.attrs;
  if (view.nameOf(attrs.topic) !== trigger.topic) problems.push(`${sub}: is not on topic ${trigger.topic}`);
  const push = first(attrs.push_config);
  if (!addressesIn(push.push_endpoint).includes(fn.address)) {
    problems.push(`${sub}: does not push to function ${String(fn.attrs.name)}'s URL`);
  }
  const pusher = principalOf(first(push.oidc_token).service_account_email);
  if (!view.holders(RUN_INVOKER, fn.address).includes(pusher)) {
    problems.push(`${sub}: pushes as ${pusher}, which cannot invoke the function`);
  }
  checkPubsubAgent(view, TOKEN_CREATOR, pusher, `to sign ${sub}'s push requests`, problems);

  const ackDeadlineSeconds = trigger.ackDeadlineSeconds ?? policy.ackDeadlineSeconds;
  if (attrs.ack_deadline_seconds !== ackDeadlineSeconds) {
    problems.push(`${sub}: ack deadline is ${shown(attrs.ack_deadline_seconds)}, not ${ackDeadlineSeconds}`);
  }
  if (typeof service.timeout_seconds !== 'number' || service.timeout_seconds > ackDeadlineSeconds) {
    problems.push(`function ${String(fn.attrs.name)}: its timeout exceeds ${sub}'s ack deadline (slow deliveries get redelivered)`);
  }
  const retry = first(attrs.retry_policy);
  const [min, max] = [`${policy.minBackoffMs / 1000}s`, `${policy.maxBackoffMs / 1000}s`];
  if (retry.minimum_backoff !== min || retry.maximum_backoff !== max) problems.push(`${sub}: retry backoff is not ${min} to ${max}`);
  if (first(attrs.expiration_policy).ttl !== '') problems.push(`${sub}: expires when idle (set expiration_policy ttl = "")`);
  // Terraform's default is off; the code relies on an ordered subscription for the order of one PR's events.
  const ordered = attrs.enable_message_ordering ?? false;
  if (ordered !== trigger.messageOrdering) {
    problems.push(
      `${sub}: enable_message_ordering is ${shown(ordered)}, but the code declares messageOrdering ${String(trigger.messageOrdering)}`,
    );
  }

  const deadLetter = first(attrs.dead_letter_policy);
  const deadLetterName = deadLetterTopicOf(trigger.subscription);
  if (view.nameOf(deadLetter.dead_letter_topic) !== deadLetterName) {
    problems.push(`${sub}: dead-letters to ${shown(deadLetter.dead_letter_topic)}, not topic ${deadLetterName}`);
  }
  if (deadLetter.max_delivery_attempts !== policy.maxDeliveryAttempts) {
    problems.push(`${sub}: max delivery attempts is ${shown(deadLetter.max_delivery_attempts)}, not ${policy.maxDeliveryAttempts}`);
  }
  const retaining = view
    .named('google_pubsub_subscription', 'name', deadLetterName)
    .find((instance) => view.nameOf(instance.attrs.topic) === deadLetterName);
  if (!retaining) problems.push(`${sub}: no subscription ${deadLetterName} retains its dead letters`);
  else if (blocks(retaining.attrs.push_config).length > 0) problems.push(`subscription ${deadLetterName}: must be a pull subscription`);
  const deadLetterTopic = view.addressOfNamed('google_pubsub_topic', 'name', deadLetterName);
  checkPubsubAgent(view, PUBLISHER, deadLetterTopic, 'to dead-letter', problems);
  checkPubsubAgent(view, 'roles/pubsub.subscriber', subscription.address, `to acknowledge what it dead-letters from ${sub}`, problems);
}

function checkFirestoreTrigger(
  view: ModuleView,
  trigger: Extract<FunctionSpec['trigger'], { kind: 'firestore' }>,
  fn: Instance,
  problems: Problems,
): void {
  const where = `function ${String(fn.attrs.name)}`;
  const found = blocks(fn.attrs.event_trigger);
  const eventTrigger = found[0];
  if (found.length !== 1 || !eventTrigger) {
    problems.push(`${where}: needs one event_trigger for ${trigger.eventType}`);
    return;
  }
  if (eventTrigger.event_type !== trigger.eventType) {
    problems.push(`${where}: event type is ${shown(eventTrigger.event_type)}, not ${trigger.eventType}`);
  }
  if (eventTrigger.retry_policy !== 'RETRY_POLICY_RETRY') problems.push(`${where}: failed deliveries are not retried (RETRY_POLICY_RETRY)`);
  const filters = blocks(eventTrigger.event_filters);
  const database = filters.find((filter) => filter.attribute === 'database');
  if (view.nameOf(database?.value) !== '(default)') problems.push(`${where}: does not filter on database (default)`);
  const document = filters.find((filter) => filter.attribute === 'document');
  if (document?.value !== trigger.document || document.operator !== 'match-path-pattern') {
    problems.push(`${where}: does not match documents ${trigger.document} with operator match-path-pattern`);
  }
  const caller = principalOf(eventTrigger.service_account_email);
  if (!view.holders(RUN_INVOKER, fn.address).includes(caller)) problems.push(`${where}: its trigger's account ${caller} cannot invoke it`);
  if (!view.holders('roles/eventarc.eventReceiver', 'project').includes(caller)) {
    problems.push(`${where}: its trigger's account ${caller} lacks roles/eventarc.eventReceiver`);
  }
  checkPubsubAgent(view, TOKEN_CREATOR, caller, `to sign Eventarc's deliveries to ${where}`, problems);
}

function checkSchedulerJob(
  view: ModuleView,
  trigger: Extract<FunctionSpec['trigger'], { kind: 'scheduler' }>,
  fn: Instance,
  problems: Problems,
): void {
  const where = `function ${String(fn.attrs.name)}`;
  const jobs = view.of('google_cloud_scheduler_job').filter((job) => addressesIn(first(job.attrs.http_target).uri).includes(fn.address));
  const job = jobs[0];
  if (jobs.length !== 1 || !job) {
    problems.push(`${where}: ${jobs.length === 0 ? 'no' : 'more than one'} Cloud Scheduler job targets its URL`);
    return;
  }
  if (job.attrs.schedule !== trigger.schedule) problems.push(`${where}: scheduled ${shown(job.attrs.schedule)}, not "${trigger.schedule}"`);
  if (!['UTC', 'Etc/UTC'].includes(String(job.attrs.time_zone))) {
    problems.push(`${where}: the job's time zone is ${shown(job.attrs.time_zone)}, not UTC`);
  }
  const caller = principalOf(first(first(job.attrs.http_target).oidc_token).service_account_email);
  const invokers = view.holders(RUN_INVOKER, fn.address);
  if (invokers.length !== 1 || invokers[0] !== caller) {
    problems.push(`${where}: may be invoked by ${invokers.join(', ') || 'nobody'}; only the job's own account ${caller} should`);
  }
}

/** The runner: its own account with three roles, usable by the build clusters' Kubernetes ServiceAccount. */
function checkRunner(view: ModuleView, expected: Expectations, problems: Problems): void {
  const runner = view.named('google_service_account', 'account_id', expected.runner.accountId)[0];
  if (!runner) {
    problems.push(`no google_service_account ${expected.runner.accountId}, which infra/runner annotates its ServiceAccount with`);
    return;
  }
  const { artifacts, config } = buckets(view);
  const wanted = new Set([
    grantKey({ role: 'roles/datastore.user', on: 'project' }),
    grantKey({ role: 'roles/storage.objectAdmin', on: artifacts }),
    grantKey({ role: 'roles/storage.objectViewer', on: config }),
  ]);
  const held = view.heldBy(runner.address);
  for (const missing of [...wanted].filter((grant) => !held.has(grant))) problems.push(`the runner's service account lacks ${missing}`);
  for (const extra of [...held].filter((grant) => !wanted.has(grant))) {
    problems.push(`the runner's service account holds ${extra}; it may have only datastore.user and its two bucket roles`);
  }
  const { namespace, serviceAccount } = expected.runner;
  const identity = `serviceAccount:${expected.project}.svc.id.goog[${namespace}/${serviceAccount}]`;
  const onRunner = view.grants.filter((g) => g.on === runner.address);
  if (!onRunner.some((g) => g.role === 'roles/iam.workloadIdentityUser' && g.principal === identity)) {
    problems.push(`${identity} cannot act as the runner's service account (Workload Identity)`);
  }
  for (const g of onRunner.filter((g) => g.principal !== identity)) {
    problems.push(`${g.from}: grants ${g.principal} ${g.role} on the runner's service account`);
  }
}

/** The database, the indexes and field overrides of firestore.indexes.json, and its rules. */
function checkFirestore(view: ModuleView, expected: Expectations, problems: Problems): void {
  const databases = view.named('google_firestore_database', 'name', '(default)');
  if (databases.length !== 1 || databases[0]?.attrs.type !== 'FIRESTORE_NATIVE') {
    problems.push('no (default) google_firestore_database in FIRESTORE_NATIVE mode');
  }
  const describeIndex = (collection: string, scope: string, fields: string[]): string => `${collection} ${scope} (${fields.join(', ')})`;
  const wanted = expected.firestoreIndexes.indexes.map((index) =>
    describeIndex(
      index.collectionGroup,
      index.queryScope ?? 'COLLECTION',
      index.fields.map((field) => `${field.fieldPath} ${field.order ?? field.arrayConfig ?? ''}`),
    ),
  );
  const declared = view.of('google_firestore_index').map((index) =>
    describeIndex(
      String(index.attrs.collection),
      String(index.attrs.query_scope ?? 'COLLECTION'),
      blocks(index.attrs.fields).map((field) => `${String(field.field_path)} ${String(field.order ?? field.array_config ?? '')}`),
    ),
  );
  for (const missing of wanted.filter((index) => !declared.includes(index))) {
    problems.push(`Firestore index ${missing} (firestore.indexes.json) is not declared`);
  }
  for (const extra of declared.filter((index) => !wanted.includes(index))) {
    problems.push(`Firestore index ${extra} is declared but not in firestore.indexes.json`);
  }

  const overrides = expected.firestoreIndexes.fieldOverrides ?? [];
  const fields = view.of('google_firestore_field');
  for (const override of overrides) {
    const name = `${override.collectionGroup}.${override.fieldPath}`;
    const field = fields.find((f) => f.attrs.collection === override.collectionGroup && f.attrs.field === override.fieldPath);
    if (!field) {
      problems.push(`Firestore field override ${name} (firestore.indexes.json) is not declared`);
      continue;
    }
    if (Boolean(override.ttl) !== blocks(field.attrs.ttl_config).length > 0) {
      problems.push(`Firestore field ${name}: its TTL policy should be ${override.ttl ? 'on' : 'off'}`);
    }
    const indexConfig = blocks(field.attrs.index_config);
    if (override.indexes?.length === 0 && (indexConfig.length !== 1 || blocks(indexConfig[0]?.indexes).length > 0)) {
      problems.push(`Firestore field ${name}: its single-field indexes should be off`);
    }
  }
  for (const field of fields) {
    if (!overrides.some((o) => o.collectionGroup === field.attrs.collection && o.fieldPath === field.attrs.field)) {
      problems.push(`${field.address}: overrides a field that firestore.indexes.json does not`);
    }
  }

  const ruleset = view.of('google_firebaserules_ruleset')[0];
  const rules = blocks(first(ruleset?.attrs.source).files).map((file) => file.content);
  if (!ruleset || rules.length !== 1 || rules[0] !== expected.firestoreRules) {
    problems.push('the Firestore ruleset is not infra/firestore/firestore.rules');
  }
  const release = view.of('google_firebaserules_release')[0];
  if (release?.attrs.name !== 'cloud.firestore' || !ruleset || !addressesIn(release.attrs.ruleset_name).includes(ruleset.address)) {
    problems.push('no google_firebaserules_release "cloud.firestore" puts the ruleset in force');
  }
}

// ---------------------------------------------------------------------------------------------
// What the code expects
// ---------------------------------------------------------------------------------------------

/** The runner's identity as infra/runner declares it. */
function runnerIdentity(): Expectations['runner'] {
  const read = (file: string): unknown => parseYaml(readFileSync(path.join(RUNNER_BASE, file), 'utf8'));
  const serviceAccount = read('serviceaccount.yaml') as { metadata: { name: string; annotations: Record<string, string> } };
  const binding = read('rolebinding.yaml') as { subjects: { kind: string; name: string; namespace: string }[] };
  const subject = binding.subjects.find((s) => s.kind === 'ServiceAccount' && s.name === serviceAccount.metadata.name);
  const google = serviceAccount.metadata.annotations['iam.gke.io/gcp-service-account'] ?? '';
  if (!subject || !google.includes('@')) {
    throw new Error('infra/runner/base no longer names the runner ServiceAccount and its Google service account as this test expects');
  }
  return { accountId: google.split('@')[0] ?? '', namespace: subject.namespace, serviceAccount: subject.name };
}

/** Functions whose entry file publishes Prow's Pub/Sub reports (to topics the job config names). */
function reportingFunctions(): string[] {
  return FUNCTIONS.filter((spec) => entryFile(spec.name).includes('publishToProject(')).map((spec) => spec.name);
}

/** Functions whose entry file wakes the GitHub writers (publishing to github-writes). */
function nudgingFunctions(): string[] {
  return FUNCTIONS.filter((spec) => entryFile(spec.name).includes('cloudNudge')).map((spec) => spec.name);
}

/** Functions whose entry file opens the artifacts bucket; only runners write it. */
function artifactReaders(): string[] {
  return FUNCTIONS.filter((spec) => entryFile(spec.name).includes('new GcsArtifactStore(')).map((spec) => spec.name);
}

/** Functions whose entry file reads the event backlog from Cloud Monitoring. */
function monitoringReaders(): string[] {
  return FUNCTIONS.filter((spec) => entryFile(spec.name).includes('monitoringBacklogFromEnv(')).map((spec) => spec.name);
}

function entryFile(name: string): string {
  return readFileSync(path.join(REPO_ROOT, 'functions', name, 'index.ts'), 'utf8');
}

/**
 * Read from the entry files: functions that load config (configSourceFromEnv) follow the snapshots;
 * the one that runs the plugins also runs config-updater, which publishes them.
 */
function configAccess(): Record<string, ConfigAccess> {
  const publisher = pluginNamed('config-updater') !== undefined;
  return Object.fromEntries(
    FUNCTIONS.map((spec) => {
      const source = entryFile(spec.name);
      if (publisher && source.includes('PLUGINS')) return [spec.name, 'write'];
      return [spec.name, source.includes('configSourceFromEnv(') ? 'read' : 'none'];
    }),
  );
}

function expectations(indexFile: string = readFileSync(INDEX_FILE, 'utf8')): Expectations {
  return {
    project: TFVARS.project_id,
    functions: FUNCTIONS,
    secrets: Object.values(SECRETS),
    topics: DEPLOYED_TOPICS,
    subscriptionPolicy: DEFAULT_SUBSCRIPTION_POLICY,
    // shared/webhook/receive.ts hands each verified delivery on to github-events; whoever wakes
    // the GitHub writers (cloudNudge) publishes to github-writes.
    publishes: {
      ...Object.fromEntries(
        FUNCTIONS.map((spec) => [
          spec.name,
          [
            ...(nudgingFunctions().includes(spec.name) ? [TOPICS.githubWrites] : []),
            // The cherrypicker plugin's requests (busCherryPicker) go to the cherry-pick worker.
            ...(entryFile(spec.name).includes('busCherryPicker(') ? [TOPICS.cherryPicks] : []),
          ],
        ]),
      ),
      webhook: [TOPICS.githubEvents],
    },
    reporting: reportingFunctions(),
    configAccess: configAccess(),
    artifactReaders: artifactReaders(),
    monitoringReaders: monitoringReaders(),
    reportTopics: TFVARS.report_topics,
    firestoreIndexes: JSON.parse(indexFile) as IndexFile,
    firestoreRules: readFileSync(RULES_FILE, 'utf8'),
    runner: runnerIdentity(),
  };
}

describe('infra/terraform', () => {
  let model: TerraformModel;
  beforeAll(async () => {
    model = await loadModule(TERRAFORM_DIR, TFVARS);
  });

  it('declares what the code expects: functions, triggers, topics, dead letters, secrets, least-privilege IAM, Firestore', () => {
    expect(checkTerraform(model, expectations())).toEqual([]);
    // The checks only mean something if the module expanded into the resources they read.
    const functions = model.instances.filter((i) => i.type === 'google_cloudfunctions2_function').map((i) => i.attrs.name);
    expect(functions).toEqual(expect.arrayContaining(FUNCTIONS.map((spec) => spec.name)));
    expect(reportingFunctions().sort()).toEqual(['pubsub', 'reporter', 'scheduler']);
    expect(configAccess()).toEqual({
      webhook: 'none',
      events: 'write',
      trigger: 'read',
      pubsub: 'read',
      scheduler: 'read',
      reporter: 'read',
      'github-writer': 'none',
      status: 'read',
      cherrypicker: 'none',
    });
    expect(artifactReaders()).toEqual(['status']);
    expect(monitoringReaders()).toEqual(['status']);
    expect(nudgingFunctions().sort()).toEqual(['events', 'reporter', 'scheduler', 'trigger']);
  });

  it('reports a function the code has but the Terraform lacks', () => {
    const instances = model.instances.filter((i) => i.address !== 'google_cloudfunctions2_function.function["events"]');
    expect(checkTerraform({ ...model, instances }, expectations())).toContain(
      'function events: no google_cloudfunctions2_function named "events"',
    );
  });

  it('reports a secret the code gives a function but the Terraform does not', () => {
    const slack = SECRETS.slackWebhooks;
    const functions = FUNCTIONS.map((spec) =>
      spec.name === 'webhook' ? { ...spec, secrets: { ...spec.secrets, [slack]: 'SLACK_WEBHOOKS' } } : spec,
    );
    expect(checkTerraform(model, { ...expectations(), functions })).toEqual(
      expect.arrayContaining([
        `function webhook: secret "${slack}" as "SLACK_WEBHOOKS" is not exposed`,
        `function webhook: its service account lacks roles/secretmanager.secretAccessor on google_secret_manager_secret.secret["${slack}"]`,
      ]),
    );
  });

  it('reports a subscription whose dead-letter policy differs from the code', () => {
    const stricter = { ...expectations(), subscriptionPolicy: { ...DEFAULT_SUBSCRIPTION_POLICY, maxDeliveryAttempts: 10 } };
    expect(checkTerraform(model, stricter)).toEqual([
      'subscription events: max delivery attempts is 5, not 10',
      'subscription trigger: max delivery attempts is 5, not 10',
      'subscription pubsub: max delivery attempts is 5, not 10',
      'subscription github-writer: max delivery attempts is 5, not 10',
      'subscription cherrypicker: max delivery attempts is 5, not 10',
    ]);
  });

  it('reports a function whose timeout or ack deadline is not the one the code counts on', () => {
    const functions = FUNCTIONS.map((spec) =>
      spec.name === 'github-writer' && spec.trigger.kind === 'pubsub'
        ? { ...spec, timeoutSeconds: 300, trigger: { ...spec.trigger, ackDeadlineSeconds: 120 } }
        : spec,
    );
    expect(checkTerraform(model, { ...expectations(), functions })).toEqual([
      'function github-writer: timeout is 540 s, but the code counts on 300 s',
      'subscription github-writer: ack deadline is 600, not 120',
      'function github-writer: its timeout exceeds subscription github-writer\'s ack deadline (slow deliveries get redelivered)',
    ]);
  });

  it('reports a function that wakes the GitHub writers without the right to publish to github-writes', () => {
    const instances = model.instances.filter((i) => i.type !== 'google_pubsub_topic_iam_member' || !i.address.includes('outbox_nudge'));
    expect(checkTerraform({ ...model, instances }, expectations()).sort()).toEqual([
      'function events: its service account lacks roles/pubsub.publisher on google_pubsub_topic.topic["github-writes"]',
      'function reporter: its service account lacks roles/pubsub.publisher on google_pubsub_topic.topic["github-writes"]',
      'function scheduler: its service account lacks roles/pubsub.publisher on google_pubsub_topic.topic["github-writes"]',
      'function trigger: its service account lacks roles/pubsub.publisher on google_pubsub_topic.topic["github-writes"]',
    ]);
  });

  it("reports the status function without monitoring.viewer, which the health page's event backlog needs, and any other function holding it", () => {
    const withoutViewer = model.instances.filter((i) => !i.address.startsWith('google_project_iam_member.function_monitoring['));
    expect(checkTerraform({ ...model, instances: withoutViewer }, expectations())).toEqual(['function status: its service account lacks roles/monitoring.viewer on project']);
    const viewer = model.instances.find((i) => i.address === 'google_project_iam_member.function_monitoring["status"]');
    expect(viewer).toBeDefined();
    // The same grant for the webhook's account, whose member is the one its datastore grant names.
    const webhookMember = model.instances.find((i) => i.address === 'google_project_iam_member.function_datastore["webhook"]')?.attrs.member;
    const onWebhook = { ...viewer!, address: 'google_project_iam_member.function_monitoring["webhook"]', attrs: { ...viewer!.attrs, member: webhookMember! } };
    expect(checkTerraform({ ...model, instances: [...model.instances, onWebhook] }, expectations())).toEqual([
      'function webhook: its service account holds roles/monitoring.viewer on project, which it does not need',
    ]);
  });

  it('lets exactly the listed prow_jobs_publishers publish to prow-jobs, and only there', async () => {
    const plugin = 'serviceAccount:hello@cutwater-test.iam.gserviceaccount.com';
    const withPublishers = await loadModule(TERRAFORM_DIR, { ...TFVARS, prow_jobs_publishers: [plugin] });
    expect(checkTerraform(withPublishers, expectations())).toEqual([]);
    const grants = withPublishers.instances.filter((i) => i.type === 'google_pubsub_topic_iam_member' && JSON.stringify(i.attrs.member) === JSON.stringify(plugin));
    expect(grants.map((i) => ({ role: i.attrs.role, topic: JSON.stringify(i.attrs.topic) }))).toEqual([
      { role: 'roles/pubsub.publisher', topic: expect.stringContaining('google_pubsub_topic.topic[\\"prow-jobs\\"]') },
    ]);
    expect(model.instances.some((i) => i.address.includes('prow_jobs_publisher'))).toBe(false);
  });

  it('reports a subscription whose message ordering differs from the code', () => {
    const functions = FUNCTIONS.map((spec) =>
      spec.trigger.kind === 'pubsub' ? { ...spec, trigger: { ...spec.trigger, messageOrdering: !spec.trigger.messageOrdering } } : spec,
    );
    expect(checkTerraform(model, { ...expectations(), functions }).sort()).toEqual([
      'subscription cherrypicker: enable_message_ordering is true, but the code declares messageOrdering false',
      'subscription events: enable_message_ordering is true, but the code declares messageOrdering false',
      'subscription github-writer: enable_message_ordering is false, but the code declares messageOrdering true',
      'subscription pubsub: enable_message_ordering is false, but the code declares messageOrdering true',
      'subscription trigger: enable_message_ordering is true, but the code declares messageOrdering false',
    ]);
  });

  it('reports any role the runner holds beyond datastore.user and its two bucket roles', () => {
    const owner: Instance = {
      address: 'google_project_iam_member.runner_owner',
      type: 'google_project_iam_member',
      attrs: {
        project: TFVARS.project_id,
        role: 'roles/owner',
        member: new Unknown('serviceAccount:${google_service_account.runner.email}'),
      },
    };
    expect(checkTerraform({ ...model, instances: [...model.instances, owner] }, expectations())).toEqual([
      "the runner's service account holds roles/owner on project; it may have only datastore.user and its two bucket roles",
    ]);
  });

  it('runs branchprotector on a schedule as a Cloud Run job, from the published config, once an image is given', async () => {
    const jobs = (m: TerraformModel) => m.instances.filter((i) => i.type === 'google_cloud_run_v2_job');
    expect(jobs(model)).toEqual([]);
    const withJob = await loadModule(TERRAFORM_DIR, { ...TFVARS, branchprotector_image: 'registry.example/cutwater/runner:1', branchprotector_flags: ['--verify-restrictions'] });
    const [job] = jobs(withJob);
    const container = JSON.stringify(job?.attrs.template);
    expect(container).toContain('"args":["branchprotector","--confirm","--verify-restrictions"]');
    expect(container).toContain('"name":"CONFIG_SNAPSHOTS"');
    expect(container).toContain('"name":"GITHUB_APP_PRIVATE_KEY"');
    const scheduler = withJob.instances.find((i) => i.address === 'google_cloud_scheduler_job.branchprotector["branchprotector"]');
    expect(JSON.stringify(scheduler?.attrs.http_target)).toContain(':run');
    expect(scheduler?.attrs.schedule).toBe('17 */6 * * *');
    // Its account reads the config and the App's two secrets, and nothing else.
    const grants = withJob.instances
      .filter((i) => JSON.stringify(i.attrs.member ?? '').includes('google_service_account.branchprotector'))
      .map((i) => `${i.type} ${String(i.attrs.role)}`)
      .sort();
    expect(grants).toEqual([
      'google_secret_manager_secret_iam_member roles/secretmanager.secretAccessor',
      'google_secret_manager_secret_iam_member roles/secretmanager.secretAccessor',
      'google_storage_bucket_iam_member roles/storage.objectViewer',
    ]);
    expect(checkTerraform(withJob, expectations())).toEqual([]);
  });

  it('reads the Firestore indexes from infra/firestore/firestore.indexes.json rather than a copy', async () => {
    const original = readFileSync(INDEX_FILE, 'utf8');
    const file = JSON.parse(original) as IndexFile;
    const fields: IndexField[] = [
      { fieldPath: 'context', order: 'ASCENDING' },
      { fieldPath: 'createdAt', order: 'DESCENDING' },
    ];
    file.indexes.push({ collectionGroup: 'prowjobs', queryScope: 'COLLECTION', fields });
    const edited = JSON.stringify(file);
    const files: FileAccess = { ...realFiles, read: (name) => (path.resolve(name) === INDEX_FILE ? edited : realFiles.read(name)) };
    const withEditedFile = await loadModule(TERRAFORM_DIR, TFVARS, files);
    expect(checkTerraform(withEditedFile, expectations(edited))).toEqual([]);
    expect(checkTerraform(withEditedFile, expectations(original))).toEqual([
      'Firestore index prowjobs COLLECTION (context ASCENDING, createdAt DESCENDING) is declared but not in firestore.indexes.json',
    ]);
  });
});
