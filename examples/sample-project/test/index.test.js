import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as lib from '../src/index.js';

test('the index exports the text utilities', () => {
  assert.equal(typeof lib.capitalize, 'function');
  assert.equal(typeof lib.reverse, 'function');
  assert.equal(typeof lib.isBlank, 'function');
});
