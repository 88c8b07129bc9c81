// okta_server.mjs --clients FILE --port-file F [--issuer-file F2] [--log FILE]
//                 [--okta-dpop-errors]
//
// A real OpenID-certified authorization server (panva's oidc-provider) laid
// out like an Okta custom authorization server named "default", on
// 127.0.0.1, plain http (loopback only), an ephemeral port:
//   issuer      http://127.0.0.1:PORT/oauth2/default
//   token       http://127.0.0.1:PORT/oauth2/default/v1/token
//   keys (JWKS) http://127.0.0.1:PORT/oauth2/default/v1/keys
//   discovery   .../oauth2/default/.well-known/openid-configuration and
//               .../oauth2/default/.well-known/oauth-authorization-server
// client_credentials access tokens are RS256 JWTs (typ at+jwt) with
// iss = the issuer, sub = client_id = the client ID, aud
// https://api.anthropic.com and scope anthropic.access (and Okta's ver,
// cid, scp), expires_in 3600.
//
// Clients come from FILE, a JSON list of client metadata (README.md):
//   { "client_id", "token_endpoint_auth_method", "client_secret"?,
//     "jwks"? | "public_key_pem" + "kid"? (private_key_jwt: PUBLIC keys),
//     "token_endpoint_auth_signing_alg"? | "alg"?, "scope"?,
//     "dpop_bound_access_tokens"? (the server demands DPoP),
//     "dpop_nonce"? (and a DPoP-Nonce in the proof) }
// Okta's rules for private_key_jwt are added to oidc-provider's: the
// assertion's aud must be the token endpoint URL exactly, exp at most an
// hour ahead.
//
// --log FILE: one JSON line per request, written before the response is
// sent: method, path, headers, the form in its order (client_secret and
// the assertion/DPoP proof as "<N chars>", Authorization as
// "Basic <masked>"; its user part in basic_user, decoded in
// basic_client_id), the decoded assertion and DPoP proof, status,
// response headers and body (access_token "<N chars>" plus its claims),
// and oidc-provider's error_detail (the reason it does not send).
//
// --okta-dpop-errors: rewrite oidc-provider's DPoP answers into the words
// Okta uses (an imitation layer, off by default; README.md).
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import Provider, { errors } from 'oidc-provider';

const USAGE = 'usage: okta_server.mjs --clients FILE --port-file F [--issuer-file F2] [--log FILE] [--okta-dpop-errors]';
const args = {};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--okta-dpop-errors') { args[a.slice(2)] = true; continue; }
  if (!['--clients', '--port-file', '--issuer-file', '--log'].includes(a) || i + 1 >= process.argv.length) {
    process.stderr.write(`okta_server: bad argument ${a}\n${USAGE}\n`);
    process.exit(2);
  }
  args[a.slice(2)] = process.argv[++i];
}
if (!args.clients || !args['port-file']) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}

const PREFIX = '/oauth2/default';
const AUD = 'https://api.anthropic.com';
const SCOPE = 'anthropic.access';
const MAX_ASSERTION_LIFETIME = 3600; // Okta: exp at most one hour ahead

function atomicWrite(path, text) {
  writeFileSync(path + '.tmp', text);
  renameSync(path + '.tmp', path);
}

// --- clients.json -> oidc-provider client metadata
const nonceClients = new Set();
const knownScopes = new Set([SCOPE]);
const clients = JSON.parse(readFileSync(args.clients, 'utf8')).map((c) => {
  const out = {
    client_id: c.client_id,
    token_endpoint_auth_method: c.token_endpoint_auth_method || 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: c.scope ?? SCOPE,
  };
  for (const s of out.scope.split(' ').filter(Boolean)) knownScopes.add(s);
  if (c.client_secret !== undefined) out.client_secret = c.client_secret;
  if (c.jwks) out.jwks = c.jwks;
  if (c.public_key_pem) {
    const jwk = createPublicKey(c.public_key_pem).export({ format: 'jwk' });
    jwk.kid = c.kid || 'key-1';
    jwk.use = 'sig';
    out.jwks = { keys: [...(out.jwks?.keys || []), jwk] };
  }
  for (const k of out.jwks?.keys || []) {
    if (k.d !== undefined || k.p !== undefined) throw new Error(`client ${c.client_id}: jwks must hold public keys only`);
  }
  const alg = c.token_endpoint_auth_signing_alg || c.alg;
  if (alg) out.token_endpoint_auth_signing_alg = alg;
  if (c.dpop_bound_access_tokens) out.dpop_bound_access_tokens = true;
  if (c.dpop_nonce) nonceClients.add(c.client_id);
  return out;
});

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = privateKey.export({ format: 'jwk' });
signingJwk.kid = 'okta-as-key-1';
signingJwk.use = 'sig';
signingJwk.alg = 'RS256';

// --- the log
const b64json = (s) => { try { return JSON.parse(Buffer.from(s, 'base64url').toString()); } catch { return null; } };
const decodeJwt = (t) => {
  const p = typeof t === 'string' ? t.split('.') : [];
  return p.length === 3 ? { header: b64json(p[0]), payload: b64json(p[1]) } : null;
};
function parseForm(text) {
  const form = {};
  for (const [k, v] of new URLSearchParams(text)) {
    if (k in form) form[k] = [].concat(form[k], v);
    else form[k] = v;
  }
  return form;
}
const masked = (v) => (Array.isArray(v) ? v.map(masked) : `<${String(v).length} chars>`);

function requestRecord(req, body) {
  const rec = { time: new Date().toISOString(), method: req.method, path: req.url };
  const headers = { ...req.headers };
  const auth = headers.authorization;
  if (auth !== undefined) {
    const [scheme, cred] = auth.split(' ');
    headers.authorization = `${scheme} <masked>`;
    if (scheme.toLowerCase() === 'basic' && cred) {
      // the user part as sent, and form-decoded (RFC 6749 2.3.1) as the server reads it
      const pair = Buffer.from(cred, 'base64').toString();
      const user = pair.includes(':') ? pair.slice(0, pair.indexOf(':')) : null;
      rec.basic_user = user;
      try { rec.basic_client_id = user === null ? null : decodeURIComponent(user.replace(/\+/g, ' ')); } catch { rec.basic_client_id = null; }
    }
  }
  if (headers.dpop !== undefined) {
    rec.dpop = decodeJwt(headers.dpop);
    headers.dpop = masked(headers.dpop);
  }
  rec.headers = headers;
  if (body.length) {
    const text = body.toString();
    if (/^application\/x-www-form-urlencoded/i.test(headers['content-type'] || '')) {
      const form = parseForm(text);
      if (form.client_assertion !== undefined) rec.client_assertion = decodeJwt(form.client_assertion);
      for (const k of ['client_secret', 'client_assertion']) if (form[k] !== undefined) form[k] = masked(form[k]);
      rec.form = form;
    } else {
      rec.body_chars = text.length;
    }
  }
  return rec;
}

function logLine(rec) {
  if (args.log) appendFileSync(args.log, JSON.stringify(rec) + '\n');
}

// Okta's words for DPoP (Okta support: "The DPoP Proof JWT Header Is Missing";
// its use_dpop_nonce answer), used only with --okta-dpop-errors.
function oktaDpopRewrite(status, body, detail) {
  if (status === 400 && body?.error === 'invalid_grant' && detail === 'DPoP proof JWT not provided') {
    return { error: 'invalid_dpop_proof', error_description: 'The DPoP proof JWT header is missing.' };
  }
  if (status === 400 && body?.error === 'use_dpop_nonce') {
    return { error: 'use_dpop_nonce', error_description: 'Authorization server requires nonce in DPoP proof.' };
  }
  return null;
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  const issuer = `http://127.0.0.1:${port}${PREFIX}`;
  const tokenUrl = `${issuer}/v1/token`;
  const provider = new Provider(issuer, {
    clients,
    jwks: { keys: [signingJwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    routes: { token: '/v1/token', jwks: '/v1/keys' },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    enabledJWA: {
      clientAuthSigningAlgValues: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384'],
      dPoPSigningAlgValues: ['ES256', 'RS256', 'PS256', 'EdDSA'],
    },
    scopes: [...knownScopes],
    ttl: { ClientCredentials: 3600 },
    // the claims Okta's access tokens also carry
    extraTokenClaims: (ctx, token) => ({
      ver: 1,
      cid: token.clientId,
      scp: token.scope ? token.scope.split(' ') : [],
    }),
    // Okta: the assertion's aud is the token endpoint URL, nothing else
    // (oidc-provider alone would also take the issuer), exp within an hour.
    async assertJwtClientAuthClaimsAndHeader(ctx, claims) {
      const aud = [].concat(claims.aud);
      if (aud.length !== 1 || aud[0] !== tokenUrl) {
        throw new errors.InvalidClientAuth(`aud must be the token endpoint URL ${tokenUrl} (Okta's rule)`);
      }
      if (claims.exp - Math.floor(Date.now() / 1000) > MAX_ASSERTION_LIFETIME) {
        throw new errors.InvalidClientAuth('exp is more than one hour ahead (Okta\'s rule)');
      }
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      dPoP: {
        enabled: true,
        nonceSecret: randomBytes(32),
        requireNonce: (ctx) => nonceClients.has(ctx.oidc.client?.clientId),
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => AUD,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: SCOPE,
          audience: AUD,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
  });
  provider.proxy = false;
  // the reason behind an error (oidc-provider keeps it out of the response)
  const keepDetail = (ctx, err) => { ctx.req.wifErrorDetail = err.error_detail || err.error_description || err.message; };
  provider.on('grant.error', keepDetail);
  provider.on('server_error', keepDetail);
  const cb = provider.callback();

  server.on('request', (req, res) => {
    const chunks = [];
    let size = 0;
    req.on('data', (d) => {
      size += d.length;
      if (size > 1 << 20) { req.destroy(); return; }
      chunks.push(d);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const rec = requestRecord(req, body);
      // the response is logged (and possibly rewritten) before it is sent
      const out = [];
      const write = res.write.bind(res);
      const end = res.end.bind(res);
      res.write = (d) => { if (d) out.push(Buffer.from(d)); return true; };
      res.end = (d) => {
        if (d && typeof d !== 'function') out.push(Buffer.from(d));
        let text = Buffer.concat(out).toString();
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        if (req.wifErrorDetail !== undefined) rec.error_detail = req.wifErrorDetail;
        if (args['okta-dpop-errors']) {
          const r = oktaDpopRewrite(res.statusCode, json, rec.error_detail);
          if (r) {
            json = r;
            text = JSON.stringify(r);
            res.setHeader('content-length', Buffer.byteLength(text));
            rec.rewritten = 'okta-dpop-errors';
          }
        }
        rec.status = res.statusCode;
        const rh = {};
        for (const h of ['content-type', 'cache-control', 'pragma', 'www-authenticate', 'dpop-nonce']) {
          if (res.getHeader(h) !== undefined) rh[h] = res.getHeader(h);
        }
        rec.response_headers = rh;
        if (json && typeof json === 'object') {
          const shown = { ...json };
          if (typeof shown.access_token === 'string') {
            rec.access_token_claims = decodeJwt(shown.access_token)?.payload ?? null;
            shown.access_token = masked(shown.access_token);
          }
          if (!req.url.includes('/v1/keys')) rec.response = shown;
        } else {
          rec.response_chars = text.length;
        }
        logLine(rec);
        if (text.length) write(text);
        return end();
      };
      if (!req.url.startsWith(PREFIX + '/')) {
        res.statusCode = 404;
        res.setHeader('content-type', 'text/plain');
        res.end('not found');
        return;
      }
      // the body, read: oidc-provider takes req.body (it would warn once)
      req.body = body;
      // mounted under PREFIX, as express would: oidc-provider builds its
      // URLs (the endpoints it announces, the private_key_jwt audience)
      // from originalUrl and the stripped url
      req.originalUrl = req.url;
      req.baseUrl = PREFIX;
      req.url = req.url.slice(PREFIX.length);
      // Okta also answers RFC 8414 discovery under the authorization server
      if (req.url.split('?')[0] === '/.well-known/oauth-authorization-server') {
        req.url = '/.well-known/openid-configuration';
      }
      cb(req, res);
    });
  });
  if (args['issuer-file']) atomicWrite(args['issuer-file'], issuer);
  atomicWrite(args['port-file'], String(port));
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
