/**
 * GitHub's issue search syntax, as far as Cutwater's queries use it — the counts plugins ask for
 * and the queries Prow's tide builds (pkg/config/tide.go constructQuery: `is:pr state:open
 * archived:false`, `org:"o"`, `repo:"o/r"`, `-repo:`, `author:`, `base:`, `-base:`,
 * `label:"a","b"`, `-label:`, `milestone:`, `review:approved`) — for the fake GitHub.
 *
 * As on GitHub: terms AND together, except the scope qualifiers `repo:`, `org:` and `user:`,
 * which OR among themselves (`org:a repo:b/c` searches both); a comma list of values ORs
 * (`label:"lgtm","approved"` is either); a leading `-` negates; values may be quoted; names
 * ignore case. A qualifier the fake does not know is refused, as GitHub refuses what it cannot
 * parse, rather than silently matching everything.
 */

/** What one issue or pull request looks like to a search. */
export interface SearchSubject {
  owner: string;
  /** "owner/name". */
  repo: string;
  archived: boolean;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  author: string;
  assignees: readonly string[];
  labels: readonly string[];
  milestone: string | null;
  /** ISO 8601. */
  createdAt: string;
  updatedAt: string;
  pull?: {
    merged: boolean;
    draft: boolean;
    baseRef: string;
    headRef: string;
    /** Every commit of the PR: a bare SHA (or a prefix of 7 or more) in a query finds the PRs holding it. */
    commitShas: readonly string[];
    reviews: readonly { user: string; state: string }[];
  };
}

/** A query GitHub would refuse with 422. */
export class SearchQueryError extends Error {}

interface Term {
  negated: boolean;
  /** Lower-cased; undefined for a word of free text. */
  qualifier: string | undefined;
  values: string[];
  text: string;
}

type Predicate = (subject: SearchSubject) => boolean;

const SCOPE_QUALIFIERS: ReadonlySet<string> = new Set(['repo', 'org', 'user']);

const VALUE = String.raw`(?:"[^"]*"|[^\s",]+)`;
const TERM = new RegExp(String.raw`(-?)([A-Za-z][\w-]*):(${VALUE}(?:,${VALUE})*)|"([^"]*)"|(\S+)`, 'g');

function lower(text: string): string {
  return text.toLowerCase();
}

function parse(query: string): Term[] {
  return [...query.matchAll(TERM)].map((match): Term => {
    const [text, minus, qualifier, values, quoted, word] = match;
    if (qualifier !== undefined && values !== undefined) {
      const list = [...values.matchAll(/"([^"]*)"|([^\s",]+)/g)].map((value) => value[1] ?? value[2] ?? '');
      return { negated: minus === '-', qualifier: lower(qualifier), values: list, text };
    }
    return { negated: false, qualifier: undefined, values: [quoted ?? word ?? ''], text };
  });
}

/** Compiles a query into a test of one subject; throws SearchQueryError for what the fake cannot search. */
export function compileSearch(query: string): Predicate {
  const terms = parse(query);
  const scope = terms.filter((term) => !term.negated && term.qualifier !== undefined && SCOPE_QUALIFIERS.has(term.qualifier));
  const scopeTests = scope.map(compileTerm);
  const otherTests = terms
    .filter((term) => !scope.includes(term))
    .map((term) => {
      const holds = compileTerm(term);
      return term.negated ? (subject: SearchSubject) => !holds(subject) : holds;
    });
  return (subject) =>
    (scopeTests.length === 0 || scopeTests.some((holds) => holds(subject))) && otherTests.every((holds) => holds(subject));
}

/** Whether the term (ignoring its `-`) holds; a value list holds when any value does. */
function compileTerm(term: Term): Predicate {
  const unsupported = () => new SearchQueryError(`the fake GitHub does not implement the search term "${term.text}"`);
  if (term.qualifier === undefined) {
    const word = lower(term.values[0] ?? '');
    const inText = (subject: SearchSubject) => lower(`${subject.title}\n${subject.body ?? ''}`).includes(word);
    if (!/^[0-9a-f]{7,40}$/.test(word)) return inText;
    return (subject) => inText(subject) || (subject.pull?.commitShas.some((sha) => lower(sha).startsWith(word)) ?? false);
  }
  const anyValue = (test: (value: string) => Predicate): Predicate => {
    const tests = term.values.map(test);
    return (subject) => tests.some((holds) => holds(subject));
  };
  const named = (read: (subject: SearchSubject) => string | null | undefined) =>
    anyValue((value) => (subject) => {
      const actual = read(subject);
      return actual !== null && actual !== undefined && lower(actual) === lower(value);
    });
  const oneOf = (read: (subject: SearchSubject) => readonly string[]) =>
    anyValue((value) => (subject) => read(subject).some((item) => lower(item) === lower(value)));
  switch (term.qualifier) {
    case 'is':
    case 'type':
    case 'state':
      return anyValue((value) => stateTest(term.qualifier ?? '', lower(value), unsupported));
    case 'repo':
      return named((subject) => subject.repo);
    case 'org':
    case 'user':
      return named((subject) => subject.owner);
    case 'author':
      return named((subject) => subject.author);
    case 'assignee':
      return oneOf((subject) => subject.assignees);
    case 'label':
      return oneOf((subject) => subject.labels);
    case 'milestone':
      return named((subject) => subject.milestone);
    case 'base':
      return named((subject) => subject.pull?.baseRef);
    case 'head':
      return named((subject) => subject.pull?.headRef);
    case 'archived':
    case 'draft':
      return anyValue((value) => {
        if (lower(value) !== 'true' && lower(value) !== 'false') throw unsupported();
        const wanted = lower(value) === 'true';
        return term.qualifier === 'archived'
          ? (subject) => subject.archived === wanted
          : (subject) => subject.pull !== undefined && subject.pull.draft === wanted;
      });
    case 'review':
      return anyValue((value) => reviewTest(lower(value), unsupported));
    case 'created':
    case 'updated':
      return anyValue((value) => {
        const inRange = dateRange(value, unsupported);
        return term.qualifier === 'created' ? (subject) => inRange(subject.createdAt) : (subject) => inRange(subject.updatedAt);
      });
    default:
      throw unsupported();
  }
}

function stateTest(qualifier: string, value: string, unsupported: () => Error): Predicate {
  const allowed: Record<string, readonly string[]> = {
    is: ['pr', 'issue', 'open', 'closed', 'merged', 'unmerged', 'draft'],
    type: ['pr', 'issue'],
    state: ['open', 'closed'],
  };
  if (!allowed[qualifier]?.includes(value)) throw unsupported();
  switch (value) {
    case 'pr':
      return (subject) => subject.pull !== undefined;
    case 'issue':
      return (subject) => subject.pull === undefined;
    case 'open':
    case 'closed':
      return (subject) => subject.state === value;
    case 'merged':
      return (subject) => subject.pull?.merged === true;
    case 'unmerged':
      return (subject) => subject.pull !== undefined && !subject.pull.merged;
    default:
      return (subject) => subject.pull?.draft === true;
  }
}

/**
 * The review decision from each reviewer's latest approval, change request or dismissal: changes
 * requested by anyone wins, then an approval. `review:required` (branch protection wants a
 * review) is, with no branch protection modelled, neither approved nor changes requested.
 */
function reviewDecision(subject: SearchSubject): 'approved' | 'changes_requested' | 'none' {
  const latest = new Map<string, string>();
  for (const review of subject.pull?.reviews ?? []) {
    if (['APPROVED', 'CHANGES_REQUESTED', 'DISMISSED'].includes(review.state)) latest.set(lower(review.user), review.state);
  }
  const states = [...latest.values()];
  if (states.includes('CHANGES_REQUESTED')) return 'changes_requested';
  return states.includes('APPROVED') ? 'approved' : 'none';
}

function reviewTest(value: string, unsupported: () => Error): Predicate {
  switch (value) {
    case 'approved':
    case 'changes_requested':
      return (subject) => subject.pull !== undefined && reviewDecision(subject) === value;
    case 'none':
      return (subject) => subject.pull !== undefined && (subject.pull.reviews.length === 0);
    case 'required':
      return (subject) => subject.pull !== undefined && reviewDecision(subject) === 'none';
    default:
      throw unsupported();
  }
}

const DAY_MS = 86_400_000;

/**
 * GitHub's date qualifiers: `A..B` (either end `*`), `>=A`, `>A`, `<=A`, `<A`, or `A` alone. A
 * date without a time stands for the whole day; with one, for that instant.
 */
function dateRange(value: string, unsupported: () => Error): (iso: string) => boolean {
  const bound = (text: string, end: boolean): number => {
    if (/^\d{4}-\d\d-\d\d$/.test(text)) {
      const day = Date.parse(`${text}T00:00:00Z`);
      return end ? day + DAY_MS - 1 : day;
    }
    const instant = Date.parse(text);
    if (Number.isNaN(instant)) throw unsupported();
    return instant;
  };
  let low = -Infinity;
  let high = Infinity;
  const range = /^(.+)\.\.(.+)$/.exec(value);
  const comparison = /^(>=|>|<=|<)(.+)$/.exec(value);
  if (range) {
    const [, from = '*', to = '*'] = range;
    if (from !== '*') low = bound(from, false);
    if (to !== '*') high = bound(to, true);
  } else if (comparison) {
    const [, operator, at = ''] = comparison;
    if (operator === '>=') low = bound(at, false);
    else if (operator === '>') low = bound(at, true) + 1;
    else if (operator === '<=') high = bound(at, true);
    else high = bound(at, false) - 1;
  } else {
    low = bound(value, false);
    high = bound(value, true);
  }
  return (iso) => {
    const time = Date.parse(iso);
    return time >= low && time <= high;
  };
}
