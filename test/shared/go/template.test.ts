import { describe, expect, it } from 'vitest';
import { GoTemplateError, parseGoTemplate, renderGoTemplate } from '../../../shared/go/template';

/**
 * Go text/template as Prow's configuration uses it, executed against ProwJobs in Prow's JSON shape.
 * Expected outputs are what Go's text/template renders for the same ProwJob struct.
 */

const presubmit = {
  apiVersion: 'prow.k8s.io/v1',
  kind: 'ProwJob',
  metadata: {
    name: '0b5c6d1e-8f3a-11ef-9a2b-0a580a6c0215',
    namespace: 'prow',
    creationTimestamp: '2024-10-17T09:12:44Z',
    labels: {
      'created-by-prow': 'true',
      'prow.k8s.io/job': 'pull-kubernetes-unit',
      'prow.k8s.io/refs.pull': '128123',
      'prow.k8s.io/type': 'presubmit',
      team: 'sig-node',
    },
    annotations: { 'prow.k8s.io/context': 'pull-kubernetes-unit' },
  },
  spec: {
    type: 'presubmit',
    agent: 'kubernetes',
    cluster: 'k8s-infra-prow-build',
    namespace: 'test-pods',
    job: 'pull-kubernetes-unit',
    report: true,
    context: 'pull-kubernetes-unit',
    rerun_command: '/test pull-kubernetes-unit',
    refs: {
      org: 'kubernetes',
      repo: 'kubernetes',
      repo_link: 'https://github.com/kubernetes/kubernetes',
      base_ref: 'master',
      base_sha: '8f1e5c0a9b7d6e4f3a2b1c0d9e8f7a6b5c4d3e2f',
      base_link: 'https://github.com/kubernetes/kubernetes/commit/8f1e5c0a9b7d6e4f3a2b1c0d9e8f7a6b5c4d3e2f',
      path_alias: 'k8s.io/kubernetes',
      pulls: [
        {
          number: 128123,
          author: 'alice',
          sha: '3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b',
          title: 'kubelet: fix pod status race',
          ref: 'refs/pull/128123/head',
          link: 'https://github.com/kubernetes/kubernetes/pull/128123',
          commit_link: 'https://github.com/kubernetes/kubernetes/pull/128123/commits/3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b',
          author_link: 'https://github.com/alice',
        },
      ],
    },
  },
  status: {
    state: 'failure',
    description: 'Job failed.',
    url: 'https://prow.k8s.io/view/gs/kubernetes-ci-logs/pr-logs/pull/128123/pull-kubernetes-unit/1846890012345678848',
    pod_name: '0b5c6d1e-8f3a-11ef-9a2b-0a580a6c0215',
    build_id: '1846890012345678848',
    startTime: '2024-10-17T09:12:44Z',
    pendingTime: '2024-10-17T09:12:51Z',
    completionTime: '2024-10-17T09:41:02Z',
    prev_report_states: { 'github-reporter': 'pending' },
  },
};

const sigsPresubmit = {
  metadata: { name: 'b1', labels: {} },
  spec: {
    type: 'presubmit',
    job: 'pull-foo-verify',
    refs: { org: 'kubernetes-sigs', repo: 'foo', base_ref: 'main', pulls: [{ number: 17, author: 'bob', sha: 'abc' }] },
  },
  status: { state: 'pending', build_id: '1846890099999999999' },
};

/** A periodic: no refs, and (as Prow writes JSON) no empty fields either. */
const periodic = {
  metadata: { name: 'c2' },
  spec: { type: 'periodic', job: 'ci-kubernetes-e2e-gce', cluster: 'k8s-infra-prow-build' },
  status: { state: 'success', build_id: '1846890011111111111', url: 'https://prow.k8s.io/view/gs/x/logs/ci/1' },
};

const kettlePostsubmit = {
  metadata: { name: 'd3' },
  spec: {
    type: 'postsubmit',
    job: 'post-test-infra-deploy-kettle',
    refs: {
      org: 'kubernetes',
      repo: 'test-infra',
      base_ref: 'master',
      base_sha: 'e4d909c290d0fb1ca068ffaddf22cbd0',
      base_link: 'https://github.com/kubernetes/test-infra/commit/e4d909c290d0fb1ca068ffaddf22cbd0',
    },
  },
  status: { state: 'success', url: 'https://prow.k8s.io/view/gs/kubernetes-ci-logs/logs/post-test-infra-deploy-kettle/42' },
};

const JOB_URL_TEMPLATE =
  'https://prow.k8s.io/view/gs/kubernetes-ci-logs/{{if eq .Spec.Type "presubmit"}}pr-logs/pull{{else if eq .Spec.Type "batch"}}pr-logs/pull{{else}}logs{{end}}{{if .Spec.Refs}}{{if ne .Spec.Refs.Org ""}}{{if ne .Spec.Refs.Org "kubernetes"}}/{{if eq .Spec.Refs.Org "kubernetes-sigs"}}sigs.k8s.io{{else}}{{.Spec.Refs.Org}}{{end}}_{{.Spec.Refs.Repo}}{{else if ne .Spec.Refs.Repo "kubernetes"}}/{{.Spec.Refs.Repo}}{{end}}{{end}}{{end}}{{if eq .Spec.Type "presubmit"}}/{{with index .Spec.Refs.Pulls 0}}{{.Number}}{{end}}{{else if eq .Spec.Type "batch"}}/batch{{end}}/{{.Spec.Job}}/{{.Status.BuildID}}/';

const render = (source: string, data: unknown = presubmit): string => renderGoTemplate(source, data);

/** The GoTemplateError message for a template that fails to parse or execute. */
function errorOf(source: string, data: unknown = presubmit): string {
  try {
    renderGoTemplate(source, data);
  } catch (error) {
    if (error instanceof GoTemplateError) return error.message;
    throw error;
  }
  throw new Error(`expected ${source} to fail`);
}

describe("templates from kubernetes/test-infra's config", () => {
  it('renders the default Slack report', () => {
    expect(render('Job {{.Spec.Job}} of type {{.Spec.Type}} ended with state {{.Status.State}}. <{{.Status.URL}}|View logs>')).toBe(
      'Job pull-kubernetes-unit of type presubmit ended with state failure. ' +
        '<https://prow.k8s.io/view/gs/kubernetes-ci-logs/pr-logs/pull/128123/pull-kubernetes-unit/1846890012345678848|View logs>',
    );
  });

  it("renders kettle's deploy message with a 7-character commit", () => {
    const source =
      'Deploying kettle: {{.Status.State}}. Commit: <{{.Spec.Refs.BaseLink}}|{{printf "%.7s" .Spec.Refs.BaseSHA}}> | <{{.Status.URL}}|Spyglass>';
    expect(render(source, kettlePostsubmit)).toBe(
      'Deploying kettle: success. Commit: <https://github.com/kubernetes/test-infra/commit/e4d909c290d0fb1ca068ffaddf22cbd0|e4d909c> | ' +
        '<https://prow.k8s.io/view/gs/kubernetes-ci-logs/logs/post-test-infra-deploy-kettle/42|Spyglass>',
    );
  });

  it('renders the PR history report template', () => {
    const source =
      '[Full PR test history](https://prow.k8s.io/pr-history?org={{.Spec.Refs.Org}}&repo={{.Spec.Refs.Repo}}&pr={{with index .Spec.Refs.Pulls 0}}{{.Number}}{{end}}). [Your PR dashboard](https://prow.k8s.io/pr?query=is%3Apr%20state%3Aopen%20author%3A{{with index .Spec.Refs.Pulls 0}}{{.Author}}{{end}}).';
    expect(render(source)).toBe(
      '[Full PR test history](https://prow.k8s.io/pr-history?org=kubernetes&repo=kubernetes&pr=128123). ' +
        '[Your PR dashboard](https://prow.k8s.io/pr?query=is%3Apr%20state%3Aopen%20author%3Aalice).',
    );
  });

  it('renders job_url_template for a presubmit in kubernetes/kubernetes', () => {
    expect(render(JOB_URL_TEMPLATE)).toBe(
      'https://prow.k8s.io/view/gs/kubernetes-ci-logs/pr-logs/pull/128123/pull-kubernetes-unit/1846890012345678848/',
    );
  });

  it('renders job_url_template for a presubmit in kubernetes-sigs/foo', () => {
    expect(render(JOB_URL_TEMPLATE, sigsPresubmit)).toBe(
      'https://prow.k8s.io/view/gs/kubernetes-ci-logs/pr-logs/pull/sigs.k8s.io_foo/17/pull-foo-verify/1846890099999999999/',
    );
  });

  it('renders job_url_template for a periodic without refs', () => {
    expect(render(JOB_URL_TEMPLATE, periodic)).toBe(
      'https://prow.k8s.io/view/gs/kubernetes-ci-logs/logs/ci-kubernetes-e2e-gce/1846890011111111111/',
    );
  });

  it('renders job_url_template for a postsubmit in another kubernetes repo and for a batch', () => {
    const postsubmit = { ...kettlePostsubmit, status: { build_id: '7' } };
    expect(render(JOB_URL_TEMPLATE, postsubmit)).toBe(
      'https://prow.k8s.io/view/gs/kubernetes-ci-logs/logs/test-infra/post-test-infra-deploy-kettle/7/',
    );
    const batch = { ...presubmit, spec: { ...presubmit.spec, type: 'batch', job: 'pull-kubernetes-e2e' } };
    expect(render(JOB_URL_TEMPLATE, batch)).toBe(
      'https://prow.k8s.io/view/gs/kubernetes-ci-logs/pr-logs/pull/batch/pull-kubernetes-e2e/1846890012345678848/',
    );
  });

  it('parses once and executes against many jobs', () => {
    const template = parseGoTemplate('{{.Spec.Job}}: {{.Status.State}}');
    expect([presubmit, periodic, kettlePostsubmit].map((job) => template.execute(job))).toEqual([
      'pull-kubernetes-unit: failure',
      'ci-kubernetes-e2e-gce: success',
      'post-test-infra-deploy-kettle: success',
    ]);
    expect(template.source).toBe('{{.Spec.Job}}: {{.Status.State}}');
  });
});

describe('Go field names on JSON keys', () => {
  it('finds lowerCamel and snake_case keys, keeping Go initialisms whole', () => {
    expect(render('{{.Spec.RerunCommand}}|{{.Spec.Refs.PathAlias}}|{{.Spec.Refs.RepoLink}}|{{.Spec.Refs.BaseRef}}')).toBe(
      '/test pull-kubernetes-unit|k8s.io/kubernetes|https://github.com/kubernetes/kubernetes|master',
    );
    expect(render('{{.Status.PodName}}|{{.Status.BuildID}}|{{.Status.StartTime}}|{{.Status.CompletionTime}}')).toBe(
      '0b5c6d1e-8f3a-11ef-9a2b-0a580a6c0215|1846890012345678848|2024-10-17T09:12:44Z|2024-10-17T09:41:02Z',
    );
    expect(render('{{with index .Spec.Refs.Pulls 0}}{{.CommitLink}} {{.AuthorLink}} {{.Title}} {{.SHA}}{{end}}')).toBe(
      'https://github.com/kubernetes/kubernetes/pull/128123/commits/3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b https://github.com/alice ' +
        'kubelet: fix pod status race 3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b',
    );
    expect(render('{{.Kind}} {{.APIVersion}}')).toBe('ProwJob prow.k8s.io/v1');
  });

  it('maps irregular names through the table', () => {
    expect(render('{{.ObjectMeta.Name}} {{.ObjectMeta.Namespace}}')).toBe('0b5c6d1e-8f3a-11ef-9a2b-0a580a6c0215 prow');
    expect(render('{{.Status.ProwJobID}}', { status: { prowjob_id: 'abc-123' } })).toBe('abc-123');
  });

  it('promotes ObjectMeta fields to the ProwJob, as Go struct embedding does', () => {
    expect(render('{{.Name}} {{.Namespace}} {{.CreationTimestamp}} {{len .Labels}} {{len .Annotations}}')).toBe(
      '0b5c6d1e-8f3a-11ef-9a2b-0a580a6c0215 prow 2024-10-17T09:12:44Z 5 1',
    );
  });

  it('addresses labels with index or as fields', () => {
    expect(render('{{index .Labels "prow.k8s.io/job"}} {{.Labels.team}} {{.ObjectMeta.Labels.team}}')).toBe(
      'pull-kubernetes-unit sig-node sig-node',
    );
    expect(render('{{index .Annotations "prow.k8s.io/context"}}')).toBe('pull-kubernetes-unit');
    expect(render('[{{index .Labels "team"}}][{{.Labels.team}}]', periodic)).toBe('[][]');
  });

  it('prints an omitted struct field as empty, and a missing map key or null as <no value>', () => {
    expect(render('[{{.Status.Description}}][{{.Status.PodName}}][{{.Spec.Refs.BaseSHA}}]', periodic)).toBe('[][][]');
    expect(render('[{{.Labels.missing}}][{{index .Labels "missing"}}]')).toBe('[<no value>][]');
    expect(render('[{{.Status.URL}}][{{.}}]', { status: { url: null } })).toBe('[<no value>][map[status:map[url:<nil>]]]');
    expect(render('{{.}}', null)).toBe('<no value>');
  });

  it('compares and measures omitted fields as their zero value', () => {
    const source = '{{eq .Status.Description ""}} {{len .Spec.Refs.Pulls}} {{if .Spec.Refs}}refs{{else}}no refs{{end}}';
    expect(render(source, periodic)).toBe('true 0 no refs');
    expect(render('{{range .Spec.Refs.Pulls}}x{{else}}no pulls{{end}}', periodic)).toBe('no pulls');
  });

  it('never reaches into object prototypes', () => {
    expect(render('[{{.Constructor}}][{{index .Labels "toString"}}][{{.Labels.__proto__}}]')).toBe('[][][<no value>]');
  });

  it('prints maps with sorted keys and arrays space-separated, as fmt does', () => {
    expect(render('{{.Status.PrevReportStates}} {{.}}', { status: { prev_report_states: { b: 'x', a: 'y' } } })).toBe(
      'map[a:y b:x] map[status:map[prev_report_states:map[a:y b:x]]]',
    );
    expect(render('{{.}}', ['a', 1, true])).toBe('[a 1 true]');
  });
});

describe('control structures', () => {
  it('chooses among if / else if / else', () => {
    const source = '{{if eq .Status.State "success"}}passed{{else if eq .Status.State "failure"}}failed{{else}}other{{end}}';
    expect(render(source)).toBe('failed');
    expect(render(source, periodic)).toBe('passed');
    expect(render(source, sigsPresubmit)).toBe('other');
  });

  it('rebinds dot in with, falls through to else, and chains else with', () => {
    expect(render('{{with .Spec.Refs}}{{.Org}}/{{.Repo}}{{else}}none{{end}}')).toBe('kubernetes/kubernetes');
    expect(render('{{with .Spec.Refs}}{{.Org}}{{else}}none{{end}}', periodic)).toBe('none');
    const chained = '{{with .Status.Description}}{{.}}{{else with .Status.State}}state {{.}}{{else}}nothing{{end}}';
    expect(render(chained)).toBe('Job failed.');
    expect(render(chained, periodic)).toBe('state success');
    expect(render(chained, { status: {} })).toBe('nothing');
  });

  it('ranges over arrays with dot rebound, and over maps in key order', () => {
    const batch = { spec: { refs: { pulls: [{ number: 1, author: 'a' }, { number: 2, author: 'b' }] } } };
    expect(render('{{range .Spec.Refs.Pulls}}#{{.Number}} by {{.Author}}; {{end}}', batch)).toBe('#1 by a; #2 by b; ');
    expect(render('{{range $i, $p := .Spec.Refs.Pulls}}{{$i}}={{$p.Number}} {{end}}', batch)).toBe('0=1 1=2 ');
    expect(render('{{range $p := .Spec.Refs.Pulls}}{{$p.Author}}{{end}}', batch)).toBe('ab');
    expect(render('{{range $k, $v := .}}{{$k}}={{$v}},{{end}}', { zeta: 1, alpha: 2, mid: 3 })).toBe('alpha=2,mid=3,zeta=1,');
    expect(render('{{range .}}{{.}}{{end}}', { b: 'x', a: 'y' })).toBe('yx');
  });

  it('takes the else branch of range for empty or absent collections', () => {
    expect(render('{{range .}}x{{else}}empty{{end}}', [])).toBe('empty');
    expect(render('{{range .}}x{{else}}empty{{end}}', {})).toBe('empty');
    expect(render('{{range .Labels}}x{{else}}empty{{end}}', periodic)).toBe('empty');
  });

  it('ranges over an integer, and honours break and continue', () => {
    expect(render('{{range 3}}{{.}}{{end}}')).toBe('012');
    const source = '{{range .}}{{if eq . 3}}{{break}}{{end}}{{if eq . 1}}{{continue}}{{end}}{{.}},{{end}}';
    expect(render(source, [0, 1, 2, 3, 4])).toBe('0,2,');
  });

  it('keeps $ as the root inside with and range', () => {
    expect(render('{{with index .Spec.Refs.Pulls 0}}{{.Author}} on {{$.Spec.Job}}{{end}}')).toBe('alice on pull-kubernetes-unit');
    expect(render('{{range .Spec.Refs.Pulls}}{{$.Spec.Refs.Org}}#{{.Number}}{{end}}')).toBe('kubernetes#128123');
  });

  it('declares, assigns and scopes variables', () => {
    expect(render('{{$org := .Spec.Refs.Org}}{{range .Spec.Refs.Pulls}}{{$org}}#{{.Number}}{{end}}')).toBe('kubernetes#128123');
    expect(render('{{$s := "a"}}{{if true}}{{$s = "b"}}{{end}}{{$s}}')).toBe('b');
    expect(render('{{if $r := .Spec.Refs}}{{$r.Repo}}{{else}}{{$r}}{{end}}')).toBe('kubernetes');
    expect(render('{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}')).toBe('21');
  });
});

describe('pipelines and arguments', () => {
  it('passes the piped value as the last argument', () => {
    expect(render('{{.Spec.Job | printf "job=%s"}}')).toBe('job=pull-kubernetes-unit');
    expect(render('{{.Spec.Refs.Pulls | len}}')).toBe('1');
    expect(render('{{"kubernetes" | eq .Spec.Refs.Org}}')).toBe('true');
    expect(render('{{.Spec.Job | printf "%s-x" | len}}')).toBe('22');
  });

  it('evaluates parenthesised pipelines and fields on their results', () => {
    expect(render('{{(index .Spec.Refs.Pulls 0).Author}}')).toBe('alice');
    expect(render('{{printf "%s/%s" (.Spec.Refs.Org) (print .Spec.Refs.Repo "!")}}')).toBe('kubernetes/kubernetes!');
    expect(render('{{if (and .Spec.Refs (eq .Spec.Type "presubmit"))}}pr{{end}}')).toBe('pr');
  });

  it('reads string, raw string, character and number literals as Go does', () => {
    expect(render('{{"tab\\there \\u00e9 \\x41"}}|{{`a\\nb`}}')).toBe('tab\there é A|a\\nb');
    expect(render("{{'a'}} {{0x1F}} {{1_000}} {{-2.5}} {{+3}} {{1e3}} {{017}} {{.5}}")).toBe('97 31 1000 -2.5 3 1000 15 0.5');
    expect(render('{{true}} {{false}} {{print nil}}')).toBe('true false <nil>');
    expect(render('{{1234567.5}} {{0.00001}} {{123456.5}}')).toBe('1.2345675e+06 1e-05 123456.5');
  });
});

describe('functions', () => {
  it('eq compares its first argument with each of the rest', () => {
    expect(render('{{eq .Spec.Type "periodic" "presubmit"}} {{eq .Spec.Type "periodic" "batch"}}')).toBe('true false');
    expect(render('{{eq 1 1}} {{ne .Spec.Refs.Org "kubernetes"}} {{ne 1 2}} {{eq nil nil}}')).toBe('true false true true');
  });

  it('orders numbers and strings', () => {
    expect(render('{{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}} {{lt 2.5 2}} {{gt (len .Spec.Refs.Pulls) 0}}')).toBe(
      'true true true false false true',
    );
  });

  it('and / or return the deciding argument and stop evaluating there', () => {
    expect(render('{{and 1 0 2}} {{and 1 2}} [{{or 0 ""}}] {{or 0 "" "x"}} {{not .Spec.Refs}} {{not 0}}')).toBe('0 2 [] x false true');
    expect(render('{{or .Spec.Job (index .Spec.Refs.Pulls 5)}} {{and false (index 1 2)}}')).toBe('pull-kubernetes-unit false');
  });

  it('len counts bytes of strings and entries of arrays and maps', () => {
    expect(render('{{len "héllo"}} {{len .Spec.Refs.Pulls}} {{len .Labels}} {{len .Spec.Job}}')).toBe('6 1 5 20');
  });

  it('index reaches into arrays, maps and nested values', () => {
    expect(render('{{index .Spec.Refs.Pulls 0 "author"}} {{index . "spec" "refs" "pulls" 0 "number"}} {{index "abc" 1}}')).toBe(
      'alice 128123 98',
    );
    expect(render('{{index .Spec.Refs.Pulls}}', { spec: { refs: { pulls: [1, 2] } } })).toBe('[1 2]');
  });

  it('print, println spacing as fmt.Sprint / Sprintln', () => {
    expect(render('{{print "a" 1 2 "b"}}|{{print}}|{{println "a" 1}}')).toBe('a1 2b||a 1\n');
  });

  it('html, urlquery and js escape as Go does', () => {
    expect(render('{{html "<a href=\\"x\\">Tom & Jerry\'s</a>"}}')).toBe('&lt;a href=&#34;x&#34;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;');
    expect(render('{{urlquery "is:pr author:alice/bob&x=1 (draft)*~-_."}}')).toBe(
      'is%3Apr+author%3Aalice%2Fbob%26x%3D1+%28draft%29%2A~-_.',
    );
    expect(render('{{.Spec.Refs.Org | printf "%s org" | urlquery}}')).toBe('kubernetes+org');
    expect(render('{{js "it\'s <b>\\"x\\"</b> & y=1\\n é"}}')).toBe(
      'it\\\'s \\u003Cb\\u003E\\"x\\"\\u003C/b\\u003E \\u0026 y\\u003D1\\u000A é',
    );
    expect(render('{{html 1 "<"}}')).toBe('1&lt;');
  });
});

describe('printf', () => {
  it.each([
    ['{{printf "%.7s" .Spec.Refs.BaseSHA}}', '8f1e5c0'],
    ['{{printf "%-10s|" "ab"}}', 'ab        |'],
    ['{{printf "%10s|" "ab"}}', '        ab|'],
    ['{{printf "%05d" 42}} {{printf "%05d" -42}} {{printf "%+d" 5}} {{printf "%.3d" 7}}', '00042 -0042 +5 007'],
    ['{{printf "%d pulls" (len .Spec.Refs.Pulls)}}', '1 pulls'],
    ['{{printf "%v %v %v %v" 1 "a" true .Spec.Refs.Org}}', '1 a true kubernetes'],
    ['{{printf "%q" "say \\"hi\\"\\n"}} {{printf "%q" .Spec.Job}}', '"say \\"hi\\"\\n" "pull-kubernetes-unit"'],
    ['{{printf "%t" false}}', 'false'],
    ['{{printf "100%%"}}', '100%'],
    ['{{printf "%.2f" 3.14159}} {{printf "%x" 255}} {{printf "%X" "hi"}} {{printf "%c" 65}}', '3.14 ff 6869 A'],
    ['{{printf "%6.2f|" 3.14159}}', '  3.14|'],
  ])('%s', (source, expected) => {
    expect(render(source)).toBe(expected);
  });

  it('writes misuse into the output as fmt does', () => {
    expect(render('{{printf "%d" "x"}}')).toBe('%!d(string=x)');
    expect(render('{{printf "%s and %s" "a"}}')).toBe('a and %!s(MISSING)');
    expect(render('{{printf "%s" "a" 1}}')).toBe('a%!(EXTRA int=1)');
    expect(render('{{printf "%s" 5}} {{printf "%s" nil}} {{printf "%z" 1}}')).toBe('%!s(int=5) %!s(<nil>) %!z(int=1)');
  });

  it('formats omitted fields as the zero value the verb expects', () => {
    expect(render('[{{printf "%s" .Status.Description}}] [{{printf "%d" .Spec.MaxConcurrency}}]', periodic)).toBe('[] [0]');
  });
});

describe('text, trim markers and comments', () => {
  it('trims whitespace on the marked side only', () => {
    expect(render('a  {{- "x" -}}  \n b')).toBe('axb');
    expect(render('a  {{- "x" }}  b')).toBe('ax  b');
    expect(render('a  {{ "x" -}}  b')).toBe('a  xb');
    expect(render('{{ 1 }} {{- 2 }}')).toBe('12');
  });

  it('reads {{-3}} as the number -3, not a trim marker', () => {
    expect(render('x {{-3}}')).toBe('x -3');
  });

  it('lays out a multi-line report with trim markers', () => {
    const source = 'Pulls:\n{{- range .Spec.Refs.Pulls }}\n- #{{ .Number }} by @{{ .Author }}\n{{- end }}\n';
    const batch = { spec: { refs: { pulls: [{ number: 1, author: 'a' }, { number: 2, author: 'b' }] } } };
    expect(render(source, batch)).toBe('Pulls:\n- #1 by @a\n- #2 by @b\n');
  });

  it('drops comments, trimming around them when marked', () => {
    expect(render('a{{/* note */}}b')).toBe('ab');
    expect(render('a \n{{- /* a\nmulti-line note */ -}}\n b')).toBe('ab');
  });

  it('passes text without actions through unchanged', () => {
    expect(render('plain text with { braces } and }} closers')).toBe('plain text with { braces } and }} closers');
    expect(render('')).toBe('');
  });
});

describe('truthiness', () => {
  it.each([
    [false, 'F'],
    [0, 'F'],
    ['', 'F'],
    [null, 'F'],
    [[], 'F'],
    [{}, 'F'],
    [true, 'T'],
    [1, 'T'],
    [-1, 'T'],
    ['0', 'T'],
    [[0], 'T'],
    [{ a: 0 }, 'T'],
  ])('%j is %s', (value, expected) => {
    expect(render('{{if .}}T{{else}}F{{end}}', value)).toBe(expected);
  });

  it('treats an omitted field as false', () => {
    expect(render('{{if .Status.Description}}T{{else}}F{{end}}', periodic)).toBe('F');
  });
});

describe('parse errors', () => {
  it.each([
    ['{{.Spec.Job}} ok {{end}}', 'template: unexpected {{end}} at column 18'],
    ['{{if .Spec.Refs}}x', 'template: missing {{end}} for {{if}} at column 1'],
    ['{{range .A}}x{{else}}y', 'template: missing {{end}} for {{range}} at column 1'],
    ['hello {{ .Spec.Job ', 'template: unclosed action at column 7'],
    ['{{foo .Spec.Job}}', 'template: function "foo" not defined at column 3'],
    ['a{{else}}', 'template: unexpected {{else}} at column 2'],
    ['{{if .A}}a{{else}}b{{else}}c{{end}}', 'template: unexpected {{else}} at column 20'],
    ['{{$x}}', 'template: undefined variable "$x" at column 3'],
    ['{{if true}}{{$x := 1}}{{end}}{{$x}}', 'template: undefined variable "$x" at column 32'],
    ['{{break}}', 'template: {{break}} outside {{range}} at column 1'],
    ['{{"abc}}', 'template: unterminated quoted string at column 3'],
    ['{{.A | "x"}}', 'template: non executable command in pipeline stage 2 at column 8'],
    ['{{ print (.A}}', 'template: unclosed left paren at column 10'],
    ['{{.A)}}', 'template: unexpected right paren at column 5'],
    ['{{template "x"}}', 'template: {{template}} is not supported at column 1'],
    ['{{ 1a }}', 'template: bad number syntax at column 4'],
    ['{{.A @}}', 'template: unexpected character "@" in action at column 6'],
    ['{{}}', 'template: missing value for command at column 1'],
    ['{{if}}{{end}}', 'template: missing value for if at column 1'],
    ['{{.A |}}', 'template: missing command after | at column 1'],
    ['{{nil}}', 'template: nil is not a command at column 3'],
    ['{{/* open', 'template: unclosed comment at column 1'],
    ['{{/* x */ .A}}', 'template: comment ends before closing delimiter at column 10'],
    ['{{end 1}}', 'template: unexpected "1" in {{end}} at column 7'],
    ['{{"a".B}}', 'template: unexpected .B after "a" at column 6'],
  ])('%s', (source, message) => {
    expect(errorOf(source)).toBe(message);
  });

  it('reports line and column for multi-line templates', () => {
    let caught: unknown;
    try {
      parseGoTemplate('line one\n  {{end}}');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(GoTemplateError);
    const error = caught as GoTemplateError;
    expect(error.message).toBe('template: unexpected {{end}} at line 2, column 3');
    expect([error.line, error.column]).toEqual([2, 3]);
  });
});

describe('execution errors', () => {
  it.each([
    ['{{index .Spec.Refs.Pulls 3}}', 'template: executing <index .Spec.Refs.Pulls 3>: error calling index: index out of range: 3 at column 3'],
    ['{{index .Spec.Refs.Pulls 0 "number" "x"}}', 'template: executing <index .Spec.Refs.Pulls 0 "number" "x">: error calling index: can\'t index item of type int at column 3'],
    ['{{index .Spec.Refs.Pulls "x"}}', 'template: executing <index .Spec.Refs.Pulls "x">: error calling index: cannot index slice/array with type string at column 3'],

    ['{{not 1 2}}', 'template: executing <not 1 2>: wrong number of args for not: want 1 got 2 at column 3'],
    ['{{.Spec.Job | ne "x" "y"}}', 'template: executing <ne "x" "y">: wrong number of args for ne: want 2 got 3 at column 15'],
    ['{{index}}', 'template: executing <index>: wrong number of args for index: want at least 1 got 0 at column 3'],
    ['{{eq .Spec.Type 1}}', 'template: executing <eq .Spec.Type 1>: error calling eq: incompatible types for comparison at column 3'],
    ['{{eq 1}}', 'template: executing <eq 1>: error calling eq: missing argument for comparison at column 3'],
    ['{{lt .Spec.Refs 1}}', 'template: executing <lt .Spec.Refs 1>: error calling lt: invalid type for comparison at column 3'],
    ['{{.Spec.Job.Foo}}', "template: executing <.Spec.Job.Foo>: can't evaluate field Foo in type string at column 3"],
    ['{{range .Spec.Job}}{{end}}', "template: executing <.Spec.Job>: range can't iterate over pull-kubernetes-unit at column 9"],
    ['{{.Spec.Job 1}}', "template: executing <.Spec.Job 1>: can't give argument to non-function .Spec.Job at column 3"],
    ['{{printf 1}}', 'template: executing <printf 1>: error calling printf: wrong type for value; expected string; got int at column 3'],
    ['{{len 3}}', 'template: executing <len 3>: error calling len: len of type int at column 3'],
  ])('%s', (source, message) => {
    expect(errorOf(source)).toBe(message);
  });

  it('fails, as Go does, to index the first pull of a presubmit that has none', () => {
    const noPulls = { spec: { type: 'presubmit', job: 'j', refs: { org: 'o', repo: 'r' } }, status: {} };
    expect(errorOf('{{with index .Spec.Refs.Pulls 0}}{{.Number}}{{end}}', noPulls)).toBe(
      'template: executing <index .Spec.Refs.Pulls 0>: error calling index: index out of range: 0 at column 8',
    );
    expect(() => parseGoTemplate('{{index .Spec.Refs.Pulls 0}}').execute(noPulls)).toThrow(GoTemplateError);
  });
});
