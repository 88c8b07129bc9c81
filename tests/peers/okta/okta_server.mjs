// okta_server.mjs --clients FILE --port-file F --issuer-file F2 [--log FILE]
//
// A real OpenID-certified authorization server (panva's oidc-provider) laid
// out like an Okta custom authorization server: issuer
// http://127.0.0.1:PORT/oauth2/default, token endpoint .../v1/token, keys
// .../v1/keys.  client_credentials access tokens are RS256 JWTs with
// aud https://api.anthropic.com, sub = the client ID and the granted scope
// (anthropic.access).  Clients come from FILE: a JSON list of
//   { "client_id", "token_endpoint_auth_method", "client_secret"?,
//     "public_key_pem"? (private_key_jwt: its public key),
//     "dpop_bound_access_tokens"? (true: the server demands DPoP) }
// Every token request is logged (method, path, headers and form keys, no
// values of secrets) to --log for the tests.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import http from 'node:http';
import Provider from 'oidc-provider';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const PREFIX = '/oauth2/default';
const AUD = 'https://api.anthropic.com';
const SCOPE = 'anthropic.access';

function atomicWrite(path, text) {
  writeFileSync(path + '.tmp', text);
  renameSync(path + '.tmp', path);
}

const clients = JSON.parse(readFileSync(args.clients, 'utf8')).map((c) => {
  const out = {
    client_id: c.client_id,
    token_endpoint_auth_method: c.token_endpoint_auth_method,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: c.scope || SCOPE,
  };
  if (c.client_secret) out.client_secret = c.client_secret;
  if (c.public_key_pem) {
    const jwk = createPublicKey(c.public_key_pem).export({ format: 'jwk' });
    jwk.kid = c.kid || 'key-1';
    jwk.use = 'sig';
    out.jwks = { keys: [jwk] };
    if (c.alg) out.token_endpoint_auth_signing_alg = c.alg;
  }
  if (c.dpop_bound_access_tokens) out.dpop_bound_access_tokens = true;
  return out;
});

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = privateKey.export({ format: 'jwk' });
signingJwk.kid = 'okta-as-key-1';
signingJwk.use = 'sig';
signingJwk.alg = 'RS256';

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  const issuer = `http://127.0.0.1:${port}${PREFIX}`;
  const provider = new Provider(issuer, {
    clients,
    jwks: { keys: [signingJwk] },
    routes: { token: '/v1/token', jwks: '/v1/keys' },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    enabledJWA: {
      clientAuthSigningAlgValues: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384'],
    },
    scopes: [SCOPE],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      dPoP: { enabled: true },
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
  const cb = provider.callback();
  server.on('request', (req, res) => {
    if (!req.url.startsWith(PREFIX)) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    if (args.log && req.method === 'POST') {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        const form = Object.fromEntries(new URLSearchParams(body));
        for (const k of ['client_secret', 'client_assertion']) if (form[k]) form[k] = `<${form[k].length} chars>`;
        const headers = { ...req.headers };
        if (headers.authorization) headers.authorization = headers.authorization.split(' ')[0] + ' <masked>';
        appendFileSync(args.log, JSON.stringify({ method: req.method, path: req.url, headers, form }) + '\n');
      });
    }
    // mounted under PREFIX, as express would: oidc-provider builds its
    // URLs (the issuer's endpoints, the private_key_jwt audience) from
    // originalUrl and the stripped url
    req.originalUrl = req.url;
    req.baseUrl = PREFIX;
    req.url = req.url.slice(PREFIX.length) || '/';
    cb(req, res);
  });
  if (args['issuer-file']) atomicWrite(args['issuer-file'], issuer);
  atomicWrite(args['port-file'], String(port));
});
process.on('SIGTERM', () => process.exit(0));
