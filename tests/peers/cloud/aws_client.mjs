// aws_client.mjs ENDPOINT REGION get-web-identity-token AUDIENCE [DURATION]
// aws_client.mjs ENDPOINT REGION assume-role-with-web-identity ROLE_ARN TOKEN_FILE
//
// The official @aws-sdk/client-sts against an STS endpoint (the emulator):
// GetWebIdentityToken signed (SigV4) with the credentials of the SDK's own
// chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY here), or the unsigned
// AssumeRoleWithWebIdentity.  Prints the token, or the access key id.
import { readFileSync } from 'node:fs';
import { STSClient, GetWebIdentityTokenCommand, AssumeRoleWithWebIdentityCommand } from '@aws-sdk/client-sts';

const [endpoint, region, op, a, b] = process.argv.slice(2);
const client = new STSClient({ endpoint, region });
if (op === 'get-web-identity-token') {
  const out = await client.send(new GetWebIdentityTokenCommand({
    Audience: [a], SigningAlgorithm: 'RS256', DurationSeconds: Number(b || 300),
  }));
  process.stdout.write(out.WebIdentityToken + '\n');
} else {
  const out = await client.send(new AssumeRoleWithWebIdentityCommand({
    RoleArn: a, RoleSessionName: 'sdk-session', WebIdentityToken: readFileSync(b, 'utf8').trim(),
  }));
  process.stdout.write(out.Credentials.AccessKeyId + '\n');
}
