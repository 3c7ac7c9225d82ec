import type { Script, Step } from '../cli/scripted-agent/script.js';

/**
 * One bead of a demo set: what `bd create` gets (title, description, acceptance, priority), the keys of
 * the beads it is blocked by (`deps`, created as `blocks` dependencies), and the scripted agent's script
 * it carries in `metadata.script`. `key` names the bead inside its set (bead ids are made by the store).
 */
export interface BeadSpec {
  key: string;
  title: string;
  description: string;
  acceptance: string;
  /** 0 (first) to 4. */
  priority: number;
  /** Keys of the beads this one is blocked by: it starts only once they are merged. */
  deps: string[];
  script: Script;
}

/**
 * The two beads that edit the same lines: both append an export line at the end of `src/index.js`.
 * They have the highest priority and no dependencies, so both start from the same main; the one that
 * merges second conflicts on rebase, and its `conflict` phase writes the merged file. Either order works.
 */
export const CONFLICT_PAIR = ['slugify', 'truncate'] as const;

/** The bead whose `work` phase commits a bug that fails `node --test`; its `fix` phase repairs it. */
export const BREAKS_TESTS = 'word-count';

const BASE_INDEX = "export { capitalize, reverse, isBlank } from './text.js';\n";

/** `src/index.js` once both beads of the conflict pair merged, whichever came first. */
const MERGED_INDEX = `${BASE_INDEX}export { slugify } from './slugify.js';\nexport { truncate } from './truncate.js';\n`;

interface Feature {
  key: string;
  title: string;
  description: string;
  acceptance: string;
  priority: number;
  deps?: string[];
  /** The module, `src/<key>.js`. */
  source: string;
  /** Its tests, `test/<key>.test.js`. */
  test: string;
  commit: string;
  /** Extra work steps after writing the two files (before the commit). */
  also?: Step[];
  fix?: Step[];
  conflict?: Step[];
}

function bead(f: Feature): BeadSpec {
  const script: Script = {
    work: [
      { say: `working on ${f.key}: ${f.title}` },
      { write: `src/${f.key}.js`, content: f.source },
      { write: `test/${f.key}.test.js`, content: f.test },
      ...(f.also ?? []),
      { commit: f.commit },
      { done: true },
    ],
  };
  if (f.fix !== undefined) script.fix = f.fix;
  if (f.conflict !== undefined) script.conflict = f.conflict;
  return {
    key: f.key,
    title: f.title,
    description: f.description,
    acceptance: f.acceptance,
    priority: f.priority,
    deps: f.deps ?? [],
    script,
  };
}

/** The `conflict` phase of a bead of the pair: rebase (it stops on src/index.js), write the merged file. */
const resolveIndexConflict: Step[] = [
  { say: 'the rebase conflicts in src/index.js: both sides added an export at its end; keeping both' },
  { run: 'git fetch -q origin || true' },
  { run: 'git rebase "$GT_CONFLICT_ONTO"', expect: 1 },
  { write: 'src/index.js', content: MERGED_INDEX },
  { run: 'git add src/index.js && GIT_EDITOR=true git rebase --continue' },
  { run: 'node --test' },
  { done: true },
];

const slugify = bead({
  key: 'slugify',
  title: 'Add slugify(s) for URL slugs',
  description:
    'Add src/slugify.js exporting slugify(s): lower case, accents removed, runs of anything but ASCII letters and digits become one dash, no dash at either end. Export it from src/index.js.',
  acceptance:
    "slugify('Crème brûlée, please!') is 'creme-brulee-please'; exported from src/index.js; tests pass",
  priority: 0,
  source: String.raw`/** A URL slug: lower-case ASCII letters and digits, words joined by single dashes. */
export function slugify(s) {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
`,
  test: String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slugify } from '../src/index.js';

test('slugify makes URL slugs', () => {
  assert.equal(slugify('Hello, World!'), 'hello-world');
  assert.equal(slugify('Crème brûlée, please!'), 'creme-brulee-please');
  assert.equal(slugify('  --a--b--  '), 'a-b');
});
`,
  also: [{ append: 'src/index.js', content: "export { slugify } from './slugify.js';\n" }],
  commit: 'slugify: add slugify(s) for URL slugs',
  conflict: resolveIndexConflict,
});

const truncate = bead({
  key: 'truncate',
  title: 'Add truncate(s, max) with an ellipsis',
  description:
    'Add src/truncate.js exporting truncate(s, max, ellipsis = "…"): s unchanged when it fits, else cut so that the result including the ellipsis is max characters. Export it from src/index.js.',
  acceptance: "truncate('hello world', 8) is 'hello w…'; exported from src/index.js; tests pass",
  priority: 0,
  source: String.raw`/** s cut to at most max characters, ending with ellipsis when it was cut. */
export function truncate(s, max, ellipsis = '…') {
  if (s.length <= max) return s;
  return s.slice(0, Math.max(0, max - ellipsis.length)) + ellipsis;
}
`,
  test: String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { truncate } from '../src/index.js';

test('truncate cuts long strings and adds an ellipsis', () => {
  assert.equal(truncate('hello world', 8), 'hello w…');
  assert.equal(truncate('short', 10), 'short');
  assert.equal(truncate('abcdef', 4, '...'), 'a...');
});
`,
  also: [{ append: 'src/index.js', content: "export { truncate } from './truncate.js';\n" }],
  commit: 'truncate: add truncate(s, max) with an ellipsis',
  conflict: resolveIndexConflict,
});

const wordCount = bead({
  key: 'word-count',
  title: 'Add wordCount(s)',
  description:
    'Add src/word-count.js exporting wordCount(s): the number of runs of non-whitespace characters in s.',
  acceptance: "wordCount('') is 0; wordCount(' one two  three\\n four ') is 4; tests pass",
  priority: 1,
  // The first attempt splits on single spaces: its own tests fail, so the refinery's gate rejects it.
  source: String.raw`/** The number of words in s: runs of non-whitespace characters. */
export function wordCount(s) {
  return s.split(' ').length;
}
`,
  test: String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wordCount } from '../src/word-count.js';

test('wordCount counts runs of non-whitespace', () => {
  assert.equal(wordCount('one'), 1);
  assert.equal(wordCount(''), 0);
  assert.equal(wordCount(' one two  three\n four '), 4);
});
`,
  commit: 'word-count: add wordCount(s)',
  fix: [
    { say: 'the gates failed: wordCount splits on single spaces; splitting on runs of whitespace' },
    {
      edit: 'src/word-count.js',
      find: "return s.split(' ').length;",
      replace: 'return s.split(/\\s+/).filter((w) => w.length > 0).length;',
    },
    { run: 'node --test' },
    { commit: 'word-count: count runs of whitespace, not single spaces' },
    { done: true },
  ],
});

const titleCase = bead({
  key: 'title-case',
  title: 'Add titleCase(s)',
  description:
    'Add src/title-case.js exporting titleCase(s), built on capitalize from src/text.js: every word capitalized, except small words (a, an, and, of, the, ...) that are neither first nor last.',
  acceptance: "titleCase('the lord of the rings') is 'The Lord of the Rings'; tests pass",
  priority: 1,
  source: String.raw`import { capitalize } from './text.js';

const SMALL = new Set(['a', 'an', 'and', 'at', 'but', 'by', 'for', 'in', 'of', 'on', 'or', 'the', 'to']);

/** Title Case: every word capitalized, except small words that are neither first nor last. */
export function titleCase(s) {
  const words = s
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w.length > 0);
  return words.map((w, i) => (i > 0 && i < words.length - 1 && SMALL.has(w) ? w : capitalize(w))).join(' ');
}
`,
  test: String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { titleCase } from '../src/title-case.js';

test('titleCase capitalizes all but the small words', () => {
  assert.equal(titleCase('the lord of the rings'), 'The Lord of the Rings');
  assert.equal(titleCase('  war AND peace '), 'War and Peace');
  assert.equal(titleCase('what it is for'), 'What It Is For');
});
`,
  commit: 'title-case: add titleCase(s)',
});

const center = bead({
  key: 'center',
  title: 'Add center(s, width, fill)',
  description:
    "Add src/center.js exporting center(s, width, fill = ' '): s padded on both sides to width characters; when the padding is odd the extra character goes right; s longer than width is unchanged.",
  acceptance: "center('abc', 6, '*') is '*abc**'; tests pass",
  priority: 2,
  source: String.raw`/** s centred in width characters, padded with fill (an odd extra goes right). */
export function center(s, width, fill = ' ') {
  const total = Math.max(0, width - s.length);
  const left = Math.floor(total / 2);
  return fill.repeat(left) + s + fill.repeat(total - left);
}
`,
  test: String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { center } from '../src/center.js';

test('center pads both sides', () => {
  assert.equal(center('ab', 6), '  ab  ');
  assert.equal(center('abc', 6, '*'), '*abc**');
  assert.equal(center('long', 2), 'long');
});
`,
  commit: 'center: add center(s, width, fill)',
});

const permalink = bead({
  key: 'permalink',
  title: 'Add permalink(date, title), built on slugify',
  description:
    'Add src/permalink.js exporting permalink(date, title): "YYYY/MM/DD/<slug>" from the UTC date and slugify(title). Needs slugify (src/slugify.js).',
  acceptance:
    "permalink(new Date('2026-03-09T12:00:00Z'), 'Hello, World!') is '2026/03/09/hello-world'; tests pass",
  priority: 2,
  deps: ['slugify'],
  source: String.raw`import { slugify } from './slugify.js';

/** A blog-style path from a date (UTC) and a title: 2026/03/09/hello-world. */
export function permalink(date, title) {
  const y = String(date.getUTCFullYear());
  const m = String(date.getUTCMonth() + 1).padStart(2, '0');
  const d = String(date.getUTCDate()).padStart(2, '0');
  return [y, m, d, slugify(title)].join('/');
}
`,
  test: String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { permalink } from '../src/permalink.js';

test('permalink joins the date and the slug', () => {
  assert.equal(permalink(new Date('2026-03-09T12:00:00Z'), 'Hello, World!'), '2026/03/09/hello-world');
  assert.equal(permalink(new Date('2026-12-31T23:59:59Z'), 'Año nuevo'), '2026/12/31/ano-nuevo');
});
`,
  commit: 'permalink: add permalink(date, title)',
});

const headline = bead({
  key: 'headline',
  title: 'Add headline(s, max), built on titleCase and truncate',
  description:
    'Add src/headline.js exporting headline(s, max = 40): truncate(titleCase(s), max). Needs titleCase (src/title-case.js) and truncate (src/truncate.js).',
  acceptance: "headline('a tale of two cities and more', 12) is 'A Tale of T…'; tests pass",
  priority: 2,
  deps: ['title-case', 'truncate'],
  source: String.raw`import { titleCase } from './title-case.js';
import { truncate } from './truncate.js';

/** A headline: Title Case, at most max characters. */
export function headline(s, max = 40) {
  return truncate(titleCase(s), max);
}
`,
  test: String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headline } from '../src/headline.js';

test('headline title-cases and truncates', () => {
  assert.equal(headline('the art of war'), 'The Art of War');
  assert.equal(headline('a tale of two cities and more', 12), 'A Tale of T…');
});
`,
  commit: 'headline: add headline(s, max)',
});

const initials = bead({
  key: 'initials',
  title: 'Add initials(name)',
  description:
    'Add src/initials.js exporting initials(name): the upper-case first letters of the words of name (split on whitespace and dashes).',
  acceptance: "initials('jean-paul sartre') is 'JPS'; tests pass",
  priority: 3,
  source: String.raw`/** The upper-case initials of a name: Ada Lovelace → AL. */
export function initials(name) {
  return name
    .split(/[\s-]+/)
    .filter((w) => w.length > 0)
    .map((w) => w[0].toUpperCase())
    .join('');
}
`,
  test: String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initials } from '../src/initials.js';

test('initials takes the first letter of each word', () => {
  assert.equal(initials('Ada Lovelace'), 'AL');
  assert.equal(initials('jean-paul sartre'), 'JPS');
  assert.equal(initials(''), '');
});
`,
  commit: 'initials: add initials(name)',
});

const camelCase = bead({
  key: 'camel-case',
  title: 'Add words(s) and camelCase(s)',
  description:
    'Add src/camel-case.js exporting words(s) (split on anything but letters and digits and on lower-to-upper changes, lower-cased) and camelCase(s) built on it.',
  acceptance:
    "camelCase('XML http request') is 'xmlHttpRequest'; words('fooBar_baz') is ['foo', 'bar', 'baz']; tests pass",
  priority: 3,
  source: String.raw`/** The lower-cased words of a phrase or identifier (splits on non-alphanumerics and on aB changes). */
export function words(s) {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0)
    .map((w) => w.toLowerCase());
}

/** camelCase of a phrase: hello big world → helloBigWorld. */
export function camelCase(s) {
  return words(s)
    .map((w, i) => (i === 0 ? w : w[0].toUpperCase() + w.slice(1)))
    .join('');
}
`,
  test: String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { camelCase, words } from '../src/camel-case.js';

test('words splits phrases and identifiers', () => {
  assert.deepEqual(words('fooBar_baz'), ['foo', 'bar', 'baz']);
});

test('camelCase joins the words', () => {
  assert.equal(camelCase('hello big world'), 'helloBigWorld');
  assert.equal(camelCase('XML http request'), 'xmlHttpRequest');
});
`,
  commit: 'camel-case: add words(s) and camelCase(s)',
});

const kebabCase = bead({
  key: 'kebab-case',
  title: 'Add kebabCase(s), built on words',
  description:
    'Add src/kebab-case.js exporting kebabCase(s): words(s) joined by dashes. Needs words from src/camel-case.js.',
  acceptance: "kebabCase('helloBigWorld') is 'hello-big-world'; tests pass",
  priority: 3,
  deps: ['camel-case'],
  source: String.raw`import { words } from './camel-case.js';

/** kebab-case of a phrase or identifier: helloBigWorld → hello-big-world. */
export function kebabCase(s) {
  return words(s).join('-');
}
`,
  test: String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kebabCase } from '../src/kebab-case.js';

test('kebabCase joins the words with dashes', () => {
  assert.equal(kebabCase('helloBigWorld'), 'hello-big-world');
  assert.equal(kebabCase('Hello  World!'), 'hello-world');
});
`,
  commit: 'kebab-case: add kebabCase(s)',
});

const palindrome = bead({
  key: 'palindrome',
  title: 'Add isPalindrome(s), built on reverse',
  description:
    'Add src/palindrome.js exporting isPalindrome(s): true when s reads the same both ways, ignoring case and everything but letters and digits; uses reverse from src/text.js.',
  acceptance: "isPalindrome('A man, a plan, a canal: Panama') is true; tests pass",
  priority: 2,
  source: String.raw`import { reverse } from './text.js';

/** True when s reads the same both ways, ignoring case and all but letters and digits. */
export function isPalindrome(s) {
  const t = s.toLowerCase().replace(/[^a-z0-9]/g, '');
  return t === reverse(t);
}
`,
  test: String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPalindrome } from '../src/palindrome.js';

test('isPalindrome ignores case and punctuation', () => {
  assert.equal(isPalindrome('A man, a plan, a canal: Panama'), true);
  assert.equal(isPalindrome('hello'), false);
});
`,
  commit: 'palindrome: add isPalindrome(s)',
});

const excerpt = bead({
  key: 'excerpt',
  title: 'Add excerpt(s, n), built on wordCount',
  description:
    'Add src/excerpt.js exporting excerpt(s, n): the first n words of s joined by single spaces, followed by "…" when s has more than n words (wordCount from src/word-count.js).',
  acceptance:
    "excerpt('one two three four', 2) is 'one two…'; excerpt('  one   two ', 5) is 'one two'; tests pass",
  priority: 3,
  deps: ['word-count'],
  source: String.raw`import { wordCount } from './word-count.js';

/** The first n words of s, followed by an ellipsis when there were more. */
export function excerpt(s, n) {
  const words = s.split(/\s+/).filter((w) => w.length > 0);
  return words.slice(0, n).join(' ') + (wordCount(s) > n ? '…' : '');
}
`,
  test: String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { excerpt } from '../src/excerpt.js';

test('excerpt keeps the first words', () => {
  assert.equal(excerpt('one two three four', 2), 'one two…');
  assert.equal(excerpt('  one   two ', 5), 'one two');
});
`,
  commit: 'excerpt: add excerpt(s, n)',
});

const DEMO: readonly BeadSpec[] = [
  slugify,
  truncate,
  wordCount,
  titleCase,
  center,
  permalink,
  headline,
  initials,
  camelCase,
  kebabCase,
];

function copy(beads: readonly BeadSpec[]): BeadSpec[] {
  return beads.map((b) => structuredClone(b));
}

/**
 * The demo's ten beads: one small feature each (a module and its test file) for the sample project.
 * Includes the conflict pair (CONFLICT_PAIR), the bead that breaks the tests until its fix phase
 * (BREAKS_TESTS), and three beads blocked by others (permalink by slugify, headline by title-case and
 * truncate, kebab-case by camel-case). A fresh copy on each call.
 */
export function demoBeads(): BeadSpec[] {
  return copy(DEMO);
}

/**
 * The end-to-end test's twelve beads: the demo's ten plus palindrome and excerpt (blocked by the
 * test-breaking word-count, so it starts only after the fix merged). A fresh copy on each call.
 */
export function e2eBeads(): BeadSpec[] {
  return copy([...DEMO, palindrome, excerpt]);
}

/**
 * The beads in an order where each comes after every bead it is blocked by (stable: otherwise in the
 * given order). Throws on a dependency that is not in the set, or a cycle.
 */
export function dependencyOrder(beads: readonly BeadSpec[]): BeadSpec[] {
  const byKey = new Map(beads.map((b) => [b.key, b]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const order: BeadSpec[] = [];
  const visit = (b: BeadSpec, from: string[]): void => {
    if (done.has(b.key)) return;
    if (visiting.has(b.key))
      throw new Error(`bead dependencies form a cycle: ${[...from, b.key].join(' → ')}`);
    visiting.add(b.key);
    for (const key of b.deps) {
      const dep = byKey.get(key);
      if (dep === undefined) throw new Error(`bead ${b.key} is blocked by ${key}, which is not in the set`);
      visit(dep, [...from, b.key]);
    }
    visiting.delete(b.key);
    done.add(b.key);
    order.push(b);
  };
  for (const b of beads) visit(b, []);
  return order;
}

/** The subjects of the commits a bead's script makes (work, then fix), as they appear in `git log`. */
export function commitSubjects(bead: BeadSpec): string[] {
  const subjects: string[] = [];
  const collect = (steps: readonly Step[] | undefined): void => {
    for (const step of steps ?? []) {
      if ('commit' in step) subjects.push(step.commit.split('\n')[0] ?? step.commit);
      else if ('once' in step) collect(step.steps);
    }
  };
  collect(bead.script.work);
  collect(bead.script.fix);
  return subjects;
}
