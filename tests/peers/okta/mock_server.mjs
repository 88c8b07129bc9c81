// mock_server.mjs --port-file F --issuer-file F2
//
// A second, independent OAuth 2.0 server implementation (oauth2-mock-server)
// in the okta provider's role: client_credentials at <issuer>/token, keys at
// <issuer>/jwks.  It does not check client authentication; it parses the
// form body and the Basic header as any server would, so it proves wif's
// request is standard.  Tokens: aud https://api.anthropic.com, sub = the
// client ID it read (Basic header or client_id in the body).
import { renameSync, writeFileSync } from 'node:fs';
import { OAuth2Server } from 'oauth2-mock-server';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const write = (p, t) => { writeFileSync(p + '.tmp', t); renameSync(p + '.tmp', p); };

const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
server.service.on('beforeTokenSigning', (token, req) => {
  let cid = req.body && req.body.client_id;
  const auth = req.headers.authorization || '';
  if (auth.startsWith('Basic ')) {
    const pair = Buffer.from(auth.slice(6), 'base64').toString();
    cid = decodeURIComponent(pair.slice(0, pair.indexOf(':')).replace(/\+/g, ' '));
  }
  token.payload.sub = cid || 'unknown';
  token.payload.aud = 'https://api.anthropic.com';
});
await server.start(0, '127.0.0.1');
write(args['issuer-file'], server.issuer.url);
write(args['port-file'], String(server.address().port));
process.on('SIGTERM', async () => { await server.stop(); process.exit(0); });
