// mock_server.mjs --port-file F [--issuer-file F2] [--token-url-file F3]
//                 [--jwks-url-file F4] [--log FILE]
//
// A second, independent OAuth 2.0 server implementation (oauth2-mock-server)
// in the okta provider's role, on 127.0.0.1, plain http, an ephemeral port,
// laid out as okta_server.mjs is:
//   issuer      http://127.0.0.1:PORT/oauth2/default
//   token       .../oauth2/default/v1/token  (also .../oauth2/default/token)
//   keys (JWKS) .../oauth2/default/v1/keys   (also .../oauth2/default/jwks)
//   discovery   .../oauth2/default/.well-known/openid-configuration
// It does not check client authentication: it parses the form body and the
// Basic header as any server would, so it proves that wif's request is
// standard.  client_credentials tokens are RS256 JWTs (typ JWT) with
// iss = the issuer, aud https://api.anthropic.com, sub = client_id = the
// client ID it read (the Basic header's user part, form-decoded, else the
// body's client_id, else the client assertion's sub), scope = the scope
// asked for (absent if none was), expires_in 3600.
// --log FILE: one JSON line per request, as okta_server.mjs writes them.
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { OAuth2Issuer, OAuth2Service } from 'oauth2-mock-server';

const USAGE = 'usage: mock_server.mjs --port-file F [--issuer-file F2] [--token-url-file F3] [--jwks-url-file F4] [--log FILE]';
const args = {};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (!['--port-file', '--issuer-file', '--token-url-file', '--jwks-url-file', '--log'].includes(a)
      || i + 1 >= process.argv.length) {
    process.stderr.write(`mock_server: bad argument ${a}\n${USAGE}\n`);
    process.exit(2);
  }
  args[a.slice(2)] = process.argv[++i];
}
if (!args['port-file']) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}
const PREFIX = '/oauth2/default';
const AUD = 'https://api.anthropic.com';
const write = (p, t) => { writeFileSync(p + '.tmp', t); renameSync(p + '.tmp', p); };

// --- the log (the same records as okta_server.mjs)
const b64json = (s) => { try { return JSON.parse(Buffer.from(s, 'base64url').toString()); } catch { return null; } };
const decodeJwt = (t) => {
  const p = typeof t === 'string' ? t.split('.') : [];
  return p.length === 3 ? { header: b64json(p[0]), payload: b64json(p[1]) } : null;
};
const masked = (v) => (Array.isArray(v) ? v.map(masked) : `<${String(v).length} chars>`);
function parseForm(text) {
  const form = {};
  for (const [k, v] of new URLSearchParams(text)) {
    if (k in form) form[k] = [].concat(form[k], v);
    else form[k] = v;
  }
  return form;
}
// the client ID from "Basic base64(form-encoded id ':' form-encoded secret)"
function basicClientId(auth) {
  if (!auth || !/^basic /i.test(auth)) return undefined;
  const pair = Buffer.from(auth.slice(6).trim(), 'base64').toString();
  const i = pair.indexOf(':');
  if (i < 0) return undefined;
  try { return decodeURIComponent(pair.slice(0, i).replace(/\+/g, ' ')); } catch { return undefined; }
}

const issuer = new OAuth2Issuer();
await issuer.keys.generate('RS256');
const service = new OAuth2Service(issuer, { token: '/v1/token', jwks: '/v1/keys' });
service.on('beforeTokenSigning', (token, req) => {
  const body = req.body || {};
  let cid = basicClientId(req.headers.authorization) ?? body.client_id;
  if (cid === undefined && typeof body.client_assertion === 'string') {
    cid = decodeJwt(body.client_assertion)?.payload?.sub;
  }
  token.payload.sub = cid ?? 'unknown';
  token.payload.client_id = cid ?? 'unknown';
  token.payload.aud = AUD;
  if (token.payload.scope === undefined) delete token.payload.scope;
});
const handler = service.requestHandler;

const server = http.createServer((req, res) => {
  const chunks = [];
  let size = 0;
  req.on('data', (d) => {
    size += d.length;
    if (size > 1 << 20) { req.destroy(); return; }
    chunks.push(d);
  });
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const rec = { time: new Date().toISOString(), method: req.method, path: req.url };
    const headers = { ...req.headers };
    if (headers.authorization !== undefined) {
      if (/^basic /i.test(headers.authorization)) {
        const pair = Buffer.from(headers.authorization.slice(6).trim(), 'base64').toString();
        rec.basic_user = pair.includes(':') ? pair.slice(0, pair.indexOf(':')) : null;
      }
      rec.basic_client_id = basicClientId(headers.authorization) ?? null;
      headers.authorization = `${headers.authorization.split(' ')[0]} <masked>`;
    }
    if (headers.dpop !== undefined) {
      rec.dpop = decodeJwt(headers.dpop);
      headers.dpop = masked(headers.dpop);
    }
    rec.headers = headers;
    const cty = headers['content-type'] || '';
    // the body, read: express's parsers skip a finished request and take req.body
    if (/^application\/x-www-form-urlencoded/i.test(cty)) {
      req.body = parseForm(body.toString());
      const form = { ...req.body };
      if (form.client_assertion !== undefined) rec.client_assertion = decodeJwt(form.client_assertion);
      for (const k of ['client_secret', 'client_assertion']) if (form[k] !== undefined) form[k] = masked(form[k]);
      rec.form = form;
    } else if (body.length) {
      rec.body_chars = body.length;
      if (/json/i.test(cty)) { try { req.body = JSON.parse(body.toString()); } catch { /* the app answers */ } }
    }
    const out = [];
    const origWrite = res.write.bind(res);
    const origEnd = res.end.bind(res);
    res.write = (d, enc) => { if (d) out.push(Buffer.from(d, typeof enc === 'string' ? enc : undefined)); return true; };
    res.end = (d, enc) => {
      if (d && typeof d !== 'function') out.push(Buffer.from(d, typeof enc === 'string' ? enc : undefined));
      const all = Buffer.concat(out);
      rec.status = res.statusCode;
      let json = null;
      try { json = JSON.parse(all.toString()); } catch { /* not JSON */ }
      if (json && typeof json === 'object') {
        const shown = { ...json };
        if (typeof shown.access_token === 'string') {
          rec.access_token_claims = decodeJwt(shown.access_token)?.payload ?? null;
          shown.access_token = masked(shown.access_token);
        }
        if (!/\/(v1\/keys|jwks)$/.test(req.url.split('?')[0])) rec.response = shown;
      } else {
        rec.response_chars = all.length;
      }
      if (args.log) appendFileSync(args.log, JSON.stringify(rec) + '\n');
      if (all.length) origWrite(all);
      return origEnd();
    };
    const path = req.url.split('?')[0];
    if (!path.startsWith(PREFIX + '/')) {
      res.statusCode = 404;
      res.setHeader('content-type', 'text/plain');
      res.end('not found');
      return;
    }
    // the issuer's path is the app's root; the mock's own names also answer
    req.url = req.url.slice(PREFIX.length)
      .replace(/^\/token(?=$|\?)/, '/v1/token').replace(/^\/jwks(?=$|\?)/, '/v1/keys');
    handler(req, res);
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  issuer.url = `http://127.0.0.1:${port}${PREFIX}`;
  if (args['issuer-file']) write(args['issuer-file'], issuer.url);
  if (args['token-url-file']) write(args['token-url-file'], `${issuer.url}/v1/token`);
  if (args['jwks-url-file']) write(args['jwks-url-file'], `${issuer.url}/v1/keys`);
  write(args['port-file'], String(port));
});
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
