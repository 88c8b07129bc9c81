// verify_token.mjs JWKS_URL ISSUER AUDIENCE TOKEN - verify a JWT with the
// independent `jose` library (signature against the JWKS, iss, aud, exp);
// print its claims as JSON, exit 1 on any failure.
import { createRemoteJWKSet, jwtVerify } from 'jose';

const [jwksUrl, issuer, audience, token] = process.argv.slice(2);
try {
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(jwksUrl)), { issuer, audience });
  process.stdout.write(JSON.stringify(payload) + '\n');
} catch (e) {
  process.stderr.write(`verify_token: ${e.code || ''} ${e.message}\n`);
  process.exit(1);
}
