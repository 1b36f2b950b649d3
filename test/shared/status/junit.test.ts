import { describe, expect, it } from 'vitest';
import { isJUnitFile, JUnitParseError, MAX_OUTPUT_BYTES, parseJUnit, summariseJUnit } from '../../../shared/status/junit';

/** JUnit files as real tools write them, read for the job page. */

// go-junit-report v2 (`go test -v 2>&1 | go-junit-report`): output escaped as character references.
const GO_JUNIT_REPORT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="4" failures="1" skipped="1">
	<testsuite name="github.com/acme/widgets/pkg/gears" tests="4" failures="1" errors="0" id="0" hostname="runner-7f9c" skipped="1" time="0.412" timestamp="2024-05-01T10:00:00Z">
		<properties>
			<property name="go.version" value="go1.22.2 linux/amd64"></property>
		</properties>
		<testcase name="TestMesh" classname="github.com/acme/widgets/pkg/gears" time="0.000"></testcase>
		<testcase name="TestDivide" classname="github.com/acme/widgets/pkg/gears" time="0.010">
			<failure message="Failed" type="">    gears_test.go:25: Divide(1, 0) = 0, want error&#xA;    gears_test.go:26: got &lt;nil&gt; &amp; &#34;no panic&#34;&#xA;</failure>
		</testcase>
		<testcase name="TestNetwork" classname="github.com/acme/widgets/pkg/gears" time="0.000">
			<skipped message="    gears_test.go:30: needs network&#xA;"></skipped>
		</testcase>
		<testcase name="TestRatio/large" classname="github.com/acme/widgets/pkg/gears" time="0.400"></testcase>
	</testsuite>
</testsuites>
`;

// pytest --junitxml: a failure with its traceback and captured stdout/stderr.
const PYTEST = `<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" failures="1" skipped="0" tests="2" time="1,204.518" timestamp="2024-05-01T10:00:00.000000" hostname="runner"><testcase classname="tests.test_widgets" name="test_add" time="0.001" /><testcase classname="tests.test_widgets" name="test_divide[1-0]" time="0.002"><failure message="ZeroDivisionError: division by zero">a = 1, b = 0

    @pytest.mark.parametrize("a,b", [(1, 0)])
    def test_divide(a, b):
&gt;       assert widgets.divide(a, b) == 0

tests/test_widgets.py:9:
_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _

E   ZeroDivisionError: division by zero

widgets/__init__.py:3: ZeroDivisionError</failure><system-out>dividing 1 by 0
</system-out><system-err>warning: slow path taken
</system-err></testcase></testsuite></testsuites>`;

// Bazel's test.xml: suites nested in suites, an error for a target that crashed, output in CDATA.
const BAZEL_NESTED = `<?xml version='1.0' encoding='UTF-8'?>
<testsuites>
  <testsuite name='com.acme.widgets.AllTests' timestamp='2024-05-01T10:00:00.000Z' hostname='localhost' tests='3' failures='0' errors='1' time='2.5' package='' id='0'>
    <properties />
    <testsuite name='com.acme.widgets.GearTest' tests='2' failures='0' errors='1' time='1.5'>
      <testcase name='meshes' classname='com.acme.widgets.GearTest' time='0.5' />
      <testcase name='turns' classname='com.acme.widgets.GearTest' time='1.0'>
        <error message='java.lang.IllegalStateException: stuck' type='java.lang.IllegalStateException'><![CDATA[java.lang.IllegalStateException: stuck
	at com.acme.widgets.Gear.turn(Gear.java:42)
	at com.acme.widgets.GearTest.turns(GearTest.java:17) <raw & unescaped>]]></error>
      </testcase>
      <system-out />
      <system-err />
    </testsuite>
    <testsuite name='' tests='1' time='1'>
      <testcase name='anonymous' classname='com.acme.widgets.Anon' />
    </testsuite>
  </testsuite>
</testsuites>`;

describe('parseJUnit', () => {
  it('reads go-junit-report output: statuses, durations, decoded failure text', () => {
    const [suite, ...rest] = parseJUnit(GO_JUNIT_REPORT);
    expect(rest).toEqual([]);
    expect(suite?.name).toBe('github.com/acme/widgets/pkg/gears');
    expect(suite?.durationSeconds).toBe(0.412);
    expect(suite?.cases.map((c) => [c.name, c.status, c.durationSeconds])).toEqual([
      ['TestMesh', 'passed', 0],
      ['TestDivide', 'failed', 0.01],
      ['TestNetwork', 'skipped', 0],
      ['TestRatio/large', 'passed', 0.4],
    ]);
    const divide = suite?.cases[1];
    expect(divide).toMatchObject({ suite: 'github.com/acme/widgets/pkg/gears', classname: 'github.com/acme/widgets/pkg/gears', message: 'Failed' });
    expect(divide?.output).toBe('    gears_test.go:25: Divide(1, 0) = 0, want error\n    gears_test.go:26: got <nil> & "no panic"\n');
    expect(suite?.cases[2]?.message).toBe('    gears_test.go:30: needs network\n');
    expect(suite?.cases[0]?.output).toBeUndefined();
  });

  it('reads pytest output: the traceback, then the captured stdout and stderr; times with thousands separators', () => {
    const [suite] = parseJUnit(PYTEST);
    expect(suite?.durationSeconds).toBe(1204.518);
    const failed = suite?.cases.find((c) => c.status === 'failed');
    expect(failed?.name).toBe('test_divide[1-0]');
    expect(failed?.message).toBe('ZeroDivisionError: division by zero');
    expect(failed?.output).toContain('>       assert widgets.divide(a, b) == 0');
    expect(failed?.output).toMatch(/widgets\/__init__.py:3: ZeroDivisionError\n\nsystem-out:\ndividing 1 by 0\n\n\nsystem-err:\nwarning: slow path taken\n$/);
  });

  it('flattens nested suites, naming each case by its innermost suite, and keeps CDATA as written', () => {
    const suites = parseJUnit(BAZEL_NESTED);
    expect(suites.map((s) => [s.name, s.cases.length, s.durationSeconds])).toEqual([
      ['com.acme.widgets.GearTest', 2, 1.5],
      // A nameless nested suite takes its parent's name.
      ['com.acme.widgets.AllTests', 1, 1],
    ]);
    const turns = suites[0]?.cases[1];
    expect(turns).toMatchObject({ status: 'failed', message: 'java.lang.IllegalStateException: stuck', durationSeconds: 1 });
    expect(turns?.output).toContain('at com.acme.widgets.GearTest.turns(GearTest.java:17) <raw & unescaped>');
    expect(suites[1]?.cases[0]?.durationSeconds).toBeUndefined();
  });

  it('reads a lone <testsuite>, and an empty <testsuites> as no suites', () => {
    const suites = parseJUnit('\uFEFF<testsuite name="jest tests" tests="1"><testcase classname="widgets" name="renders" time="0.5"/></testsuite>');
    expect(suites).toEqual([{ name: 'jest tests', cases: [{ suite: 'jest tests', classname: 'widgets', name: 'renders', durationSeconds: 0.5, status: 'passed' }] }]);
    expect(parseJUnit('<?xml version="1.0"?>\n<testsuites/>')).toEqual([]);
  });

  it('leaves out durations that are missing or not numbers', () => {
    const [suite] = parseJUnit('<testsuite name="s" time="n/a"><testcase name="a"/><testcase name="b" time=""/><testcase name="c" time="-1"/></testsuite>');
    expect(suite?.durationSeconds).toBeUndefined();
    expect(suite?.cases.map((c) => c.durationSeconds)).toEqual([undefined, undefined, undefined]);
  });

  it('cuts long output to 64 KiB, keeping its start and end, and says so', () => {
    const body = `${'start of the failure\n'}${'x'.repeat(200_000)}€€€${'the end: line 99\n'}`;
    const [suite] = parseJUnit(`<testsuite name="s"><testcase name="big"><failure message="boom">${body}</failure></testcase></testsuite>`);
    const output = suite?.cases[0]?.output ?? '';
    expect(Buffer.byteLength(output)).toBeLessThanOrEqual(MAX_OUTPUT_BYTES);
    expect(Buffer.byteLength(output)).toBeGreaterThan(MAX_OUTPUT_BYTES - 100);
    expect(output.startsWith('start of the failure\n')).toBe(true);
    expect(output.endsWith('€€€the end: line 99\n')).toBe(true);
    expect(output).toMatch(/… \d+ bytes of output omitted \(limit 65536 bytes\) …/);
    expect(output).not.toContain('\uFFFD');
  });

  it('refuses what is not XML, saying where', () => {
    expect(() => parseJUnit('PASS\nok  \tgithub.com/acme/widgets\t0.012s\n')).toThrow(JUnitParseError);
    expect(() => parseJUnit('PASS')).toThrow(/not well-formed XML: line 1, column 1/);
    expect(() => parseJUnit('<testsuite><testcase name="a"></testsuite>')).toThrow(/not well-formed XML: line 1.*testcase/);
    expect(() => parseJUnit('')).toThrow(JUnitParseError);
    expect(() => parseJUnit('{"tests": 3}')).toThrow(JUnitParseError);
  });

  it('refuses XML that is not a JUnit report, naming its root', () => {
    expect(() => parseJUnit('<html><body>404 Not Found</body></html>')).toThrow(/root element is <html>, not <testsuites> or <testsuite>/);
    expect(() => parseJUnit('<coverage line-rate="0.8"/>')).toThrow(JUnitParseError);
  });
});

describe('hostile XML', () => {
  const laughs = (levels: number) =>
    Array.from({ length: levels }, (_, i) => `  <!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`).join('\n');

  it('does not expand a billion laughs: declared entities stay as written', () => {
    const xml = `<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol0 "lol">
${laughs(9)}
]>
<testsuite name="&lol9;"><testcase name="laugh"><failure message="&lol9;">&lol9;&lol9;</failure></testcase></testsuite>`;
    const [suite] = parseJUnit(xml);
    expect(suite?.name).toBe('&lol9;');
    expect(suite?.cases[0]?.message).toBe('&lol9;');
    expect(suite?.cases[0]?.output).toBe('&lol9;&lol9;');
  });

  it('does not expand even a harmless declared entity', () => {
    const [suite] = parseJUnit('<!DOCTYPE t [<!ENTITY team "widgets">]><testsuite name="&team; suite"/>');
    expect(suite?.name).toBe('&team; suite');
  });

  it('refuses external entities rather than reading them', () => {
    const xml = `<?xml version="1.0"?><!DOCTYPE t [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><testsuite name="&xxe;"/>`;
    expect(() => parseJUnit(xml)).toThrow(JUnitParseError);
  });

  it('decodes only XML’s own entities and character references', () => {
    const [suite] = parseJUnit('<testsuite name="&lt;&amp;amp;&#x41;&#66;&nbsp;"/>');
    expect(suite?.name).toBe('<&amp;AB&nbsp;');
  });
});

describe('summariseJUnit', () => {
  it('counts across files and lists failures first, in file order, with their file', () => {
    const summary = summariseJUnit([
      { path: 'artifacts/junit_go.xml', suites: parseJUnit(GO_JUNIT_REPORT) },
      { path: 'artifacts/junit_pytest.xml', suites: parseJUnit(PYTEST) },
      { path: 'artifacts/bazel/junit.xml', suites: parseJUnit(BAZEL_NESTED) },
    ]);
    expect(summary).toMatchObject({ tests: 9, passed: 5, failed: 3, skipped: 1 });
    // The suites' own times; a nested suite counts once, not again in its parent's.
    expect(summary.durationSeconds).toBeCloseTo(0.412 + 1204.518 + 1.5 + 1, 6);
    expect(summary.failures.map((c) => [c.file, c.name])).toEqual([
      ['artifacts/junit_go.xml', 'TestDivide'],
      ['artifacts/junit_pytest.xml', 'test_divide[1-0]'],
      ['artifacts/bazel/junit.xml', 'turns'],
    ]);
    expect(summary.all.map((c) => c.status)).toEqual(['failed', 'failed', 'failed', 'passed', 'passed', 'passed', 'passed', 'passed', 'skipped']);
    expect(summary.all[3]).toMatchObject({ file: 'artifacts/junit_go.xml', name: 'TestMesh' });
  });

  it('counts a suite without a time by its cases’ times', () => {
    const suites = parseJUnit('<testsuites><testsuite name="a"><testcase name="x" time="2"/><testcase name="y" time="3.5"/></testsuite><testsuite name="b" time="1"/></testsuites>');
    expect(summariseJUnit([{ path: 'artifacts/junit.xml', suites }]).durationSeconds).toBe(6.5);
  });

  it('is all zeros for no files', () => {
    expect(summariseJUnit([])).toEqual({ tests: 0, passed: 0, failed: 0, skipped: 0, durationSeconds: 0, failures: [], all: [] });
  });
});

describe('isJUnitFile', () => {
  it.each(['artifacts/junit.xml', 'artifacts/junit_01.xml', 'artifacts/junit_runner.xml', 'artifacts/e2e/junit_e2e_20240501.xml', 'artifacts/a/b/junit.xml'])(
    'reads %s',
    (path) => expect(isJUnitFile(path)).toBe(true),
  );

  it.each(['junit.xml', 'artifacts/JUnit.xml', 'artifacts/report.xml', 'artifacts/junit.xml.gz', 'artifacts/e2e/results-junit.xml', 'logs/artifacts/junit.xml', 'build-log.txt'])(
    'skips %s',
    (path) => expect(isJUnitFile(path)).toBe(false),
  );
});
