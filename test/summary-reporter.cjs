// Prints the suite's result as one plain closing line ("tests: N passed, N failed, N skipped"),
// which CI systems that do not parse Jest's own summary can read.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    process.stdout.write(
      `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests + results.numTodoTests} skipped\n`,
    );
  }
}
module.exports = SummaryReporter;
