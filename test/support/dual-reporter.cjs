// Mocha reporter for CI: the spec reporter's readable output, plus the JSON reporter's result
// written to the file named by --reporter-option json=FILE (for the "N passed, M failed" line).
'use strict';
const Mocha = require('mocha');
const { Spec, JSON: JSONReporter } = Mocha.reporters;

class DualReporter {
  constructor(runner, options) {
    new Spec(runner, options);
    const opts = options.reporterOption || options.reporterOptions || {};
    if (opts.json) new JSONReporter(runner, { ...options, reporterOption: { output: opts.json }, reporterOptions: { output: opts.json } });
  }
}

module.exports = DualReporter;
