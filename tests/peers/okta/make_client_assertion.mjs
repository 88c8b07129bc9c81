// make_client_assertion.mjs - test helper: JWTs signed with the `jose`
// library from a PEM private key (PKCS#8 or traditional RSA/EC), printed on
// stdout.
//
// private_key_jwt client assertion (RFC 7523; iss = sub = CLIENT_ID, a
// random jti, iat now, exp now + 300):
//   node make_client_assertion.mjs --key KEY.pem --client-id ID --aud URL
//        [--kid KID] [--alg RS256|ES256|...] [--exp-in SECONDS]
//        [--iat-offset SECONDS] [--jti JTI] [--iss X] [--sub X] [--no-jti]
//   --exp-in may be negative (an expired assertion); --alg defaults to
//   RS256 for an RSA key, ES256 for a P-256 key.
//
// DPoP proof (RFC 9449; header typ dpop+jwt with the PUBLIC jwk, htm, htu,
// iat, random jti, nonce if given):
//   node make_client_assertion.mjs --dpop --key KEY.pem --htu URL
//        [--htm POST] [--nonce NONCE] [--alg ...] [--iat-offset SECONDS]
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';

const USAGE = `usage: make_client_assertion.mjs --key KEY.pem --client-id ID --aud URL [--kid KID] [--alg ALG]
         [--exp-in S] [--iat-offset S] [--jti JTI | --no-jti] [--iss X] [--sub X]
       make_client_assertion.mjs --dpop --key KEY.pem --htu URL [--htm POST] [--nonce N] [--alg ALG] [--iat-offset S]`;
const flags = new Set(['--dpop', '--no-jti']);
const valued = new Set(['--key', '--client-id', '--aud', '--kid', '--alg', '--exp-in', '--iat-offset', '--jti',
  '--iss', '--sub', '--htu', '--htm', '--nonce']);
const o = {};
const die = (m) => { process.stderr.write(`make_client_assertion: ${m}\n${USAGE}\n`); process.exit(2); };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (flags.has(a)) o[a.slice(2)] = true;
  else if (valued.has(a) && i + 1 < process.argv.length) o[a.slice(2)] = process.argv[++i];
  else die(`bad argument ${a}`);
}
if (!o.key) die('--key is required');
const num = (name, dflt) => {
  if (o[name] === undefined) return dflt;
  if (!/^-?[0-9]+$/.test(o[name])) die(`--${name} must be an integer`);
  return Number(o[name]);
};

const key = createPrivateKey(readFileSync(o.key));
let alg = o.alg;
if (!alg) {
  if (key.asymmetricKeyType === 'rsa') alg = 'RS256';
  else if (key.asymmetricKeyType === 'ec') {
    alg = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[key.export({ format: 'jwk' }).crv];
  } else if (key.asymmetricKeyType === 'ed25519') alg = 'EdDSA';
  if (!alg) die(`no default alg for a ${key.asymmetricKeyType} key: give --alg`);
}
const now = Math.floor(Date.now() / 1000) + num('iat-offset', 0);
const jti = () => o.jti ?? randomBytes(16).toString('base64url');

let jwt;
if (o.dpop) {
  if (!o.htu) die('--dpop needs --htu');
  const { kty, crv, x, y, n, e } = createPublicKey(key).export({ format: 'jwk' });
  const jwk = Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, v]) => v !== undefined));
  const payload = { htm: o.htm || 'POST', htu: o.htu, jti: jti() };
  if (o.nonce !== undefined) payload.nonce = o.nonce;
  jwt = await new SignJWT(payload).setProtectedHeader({ typ: 'dpop+jwt', alg, jwk }).setIssuedAt(now).sign(key);
} else {
  if (!o['client-id'] || !o.aud) die('--client-id and --aud are required');
  const payload = { iss: o.iss ?? o['client-id'], sub: o.sub ?? o['client-id'], aud: o.aud };
  if (!o['no-jti']) payload.jti = jti();
  const header = { alg, typ: 'JWT' };
  if (o.kid) header.kid = o.kid;
  jwt = await new SignJWT(payload).setProtectedHeader(header).setIssuedAt(now)
    .setExpirationTime(now + num('exp-in', 300)).sign(key);
}
process.stdout.write(jwt + '\n');
