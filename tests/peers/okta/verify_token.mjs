// verify_token.mjs JWKS_URL ISSUER AUDIENCE TOKEN [SUBJECT]
//
// Verify a JWT with the independent `jose` library: the signature against
// the keys at JWKS_URL (fetched over http), iss = ISSUER, AUDIENCE among
// aud, exp/nbf/iat against the clock, and sub = SUBJECT when given.  TOKEN
// "-" reads the token from stdin.  Prints the claims as one JSON line and
// exits 0; on any failure prints "verify_token: CODE message" on stderr and
// exits 1 (2 for a usage error).
import { readFileSync } from 'node:fs';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const argv = process.argv.slice(2);
if (argv.length < 4 || argv.length > 5) {
  process.stderr.write('usage: verify_token.mjs JWKS_URL ISSUER AUDIENCE TOKEN|- [SUBJECT]\n');
  process.exit(2);
}
const [jwksUrl, issuer, audience, tokenArg, subject] = argv;
try {
  const token = (tokenArg === '-' ? readFileSync(0, 'utf8') : tokenArg).trim();
  const options = { issuer, audience };
  if (subject !== undefined) options.subject = subject;
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(jwksUrl)), options);
  process.stdout.write(JSON.stringify(payload) + '\n');
} catch (e) {
  process.stderr.write(`verify_token: ${e.code || ''} ${e.message}\n`);
  process.exit(1);
}
