#!/bin/sh
# The project's test suite: every test/*.test.js, run by Node's own test runner.
cd "$(dirname "$0")" && exec node --test
