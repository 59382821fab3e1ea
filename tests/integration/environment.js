// jsdom (what @grafana/data expects at import) plus Node's own keep-alive fetch, which jsdom hides.
const JsdomEnvironment = require('jest-environment-jsdom').TestEnvironment;

class JsdomWithNodeFetch extends JsdomEnvironment {
  constructor(config, context) {
    super(config, context);
    Object.assign(this.global, { fetch, Headers, Request, Response, AbortController, TextEncoder, TextDecoder });
  }
}

module.exports = JsdomWithNodeFetch;
