import assert from 'node:assert/strict';
import { test } from 'node:test';
import { capitalize, isBlank, reverse } from '../src/text.js';

test('capitalize upper-cases the first character', () => {
  assert.equal(capitalize('hello'), 'Hello');
  assert.equal(capitalize(''), '');
});

test('reverse reverses by code point', () => {
  assert.equal(reverse('abc'), 'cba');
  assert.equal(reverse('añb'), 'bña');
});

test('isBlank is true for empty and whitespace-only strings', () => {
  assert.equal(isBlank(''), true);
  assert.equal(isBlank(' \t\n'), true);
  assert.equal(isBlank(' a '), false);
});
