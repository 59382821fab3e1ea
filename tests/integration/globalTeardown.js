// After the last test file: close the keep-alive connections of Node's fetch (the environment
// hands every file the outer fetch, see environment.js). Left open, they kept jest alive for
// minutes after the run ("Jest did not exit one second after the test run has completed"),
// until pmproxy dropped them.
//
// destroy, not close: close waits for requests still under way, and pmproxy 6.0.3 never answered
// one sent while its Redis was down (the last faults test): jest hung on it (seen, 3 minutes and
// counting). The tests are over; nothing under way is still wanted.
module.exports = async () => {
  const dispatcher = globalThis[Symbol.for('undici.globalDispatcher.1')];
  if (dispatcher && typeof dispatcher.destroy === 'function') {
    await dispatcher.destroy();
  }
};
