// After the last test file: close the keep-alive connections of Node's fetch (the environment
// hands every file the outer fetch, see environment.js). Left open, they kept jest alive for
// minutes after the run ("Jest did not exit one second after the test run has completed"),
// until pmproxy dropped them.
module.exports = async () => {
  const dispatcher = globalThis[Symbol.for('undici.globalDispatcher.1')];
  if (dispatcher && typeof dispatcher.close === 'function') {
    await dispatcher.close();
  }
};
