// sdk_wif_flow.mjs - the official @anthropic-ai/sdk (pinned in tests/node) run
// against the emulator with nothing but the federation environment:
//   ANTHROPIC_BASE_URL=http://127.0.0.1:<port> ANTHROPIC_FEDERATION_RULE_ID
//   ANTHROPIC_ORGANIZATION_ID ANTHROPIC_SERVICE_ACCOUNT_ID ANTHROPIC_WORKSPACE_ID
//   ANTHROPIC_IDENTITY_TOKEN_FILE            (no API key, no auth token)
// or a profile (ANTHROPIC_CONFIG_DIR + ANTHROPIC_PROFILE).
//
//   node sdk_wif_flow.mjs basic          new Anthropic() (defaults, maxRetries 2), one
//                                        messages.create()
//   node sdk_wif_flow.mjs revoke-retry   create; the emulator revokes every token
//                                        ($EMU_URL/_emu/revoke) and the token file is
//                                        re-minted ($SDK_FLOW_MINT, a JSON argv); create
//                                        again: the SDK must re-exchange after the 401
//   node sdk_wif_flow.mjs revoke-no-retries   the same with maxRetries 0: the SDK's
//                                        401 re-exchange lives in its retry loop, so
//                                        the second create fails with the 401
//   node sdk_wif_flow.mjs cached-token   profile mode: resolve the access token from
//                                        the SDK's disk cache with a fetch that throws
//                                        (proves no network is needed)
//
// Prints one JSON line; exits non-zero on failure. It must run from a directory
// whose node_modules holds the SDK (sdk_emulator.sh copies it next to tests/node).
import Anthropic from '@anthropic-ai/sdk';
import { defaultCredentials } from '@anthropic-ai/sdk/lib/credentials/credential-chain';
import { execFileSync } from 'node:child_process';

const scenario = process.argv[2] ?? 'basic';

if (process.env.ANTHROPIC_API_KEY || process.env.ANTHROPIC_AUTH_TOKEN) {
  console.error('sdk_wif_flow: ANTHROPIC_API_KEY/ANTHROPIC_AUTH_TOKEN must be unset (they win over federation)');
  process.exit(2);
}

async function createOnce(client, n) {
  const msg = await client.messages.create({
    model: 'claude-emulated-1',
    max_tokens: 16,
    messages: [{ role: 'user', content: `hello ${n}` }],
  });
  return { id: msg.id, type: msg.type, role: msg.role, model: msg.model, text: msg.content[0]?.text,
           stop_reason: msg.stop_reason };
}

async function main() {
  if (scenario === 'basic') {
    // Exactly what a user writes: every setting comes from the environment.
    const client = new Anthropic();
    return { ok: true, scenario, result: await createOnce(client, 1) };
  }
  if (scenario === 'revoke-retry' || scenario === 'revoke-no-retries') {
    // The SDK's re-exchange after an API 401 (didRefreshFor401) runs inside its
    // generic retry loop (shouldRetry): it needs maxRetries >= 1 and spends one
    // retry on it.
    const client = scenario === 'revoke-retry' ? new Anthropic() : new Anthropic({ maxRetries: 0 });
    const first = await createOnce(client, 1);
    const r = await fetch(`${process.env.EMU_URL}/_emu/revoke`, { method: 'POST', body: '{}' });
    if (!r.ok) throw new Error(`revoke failed: ${r.status}`);
    const argv = JSON.parse(process.env.SDK_FLOW_MINT ?? 'null');
    if (!Array.isArray(argv)) throw new Error('SDK_FLOW_MINT must be a JSON argv array');
    execFileSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
    const second = await createOnce(client, 2);
    return { ok: true, scenario, result: [first, second] };
  }
  if (scenario === 'cached-token') {
    let fetches = 0;
    const noNetwork = async (url) => {
      fetches++;
      throw new Error(`network used: ${url}`);
    };
    const creds = await defaultCredentials({ baseURL: 'http://127.0.0.1:9', fetch: noNetwork });
    if (!creds) throw new Error('no credentials resolved (is ANTHROPIC_PROFILE set?)');
    const tok = await creds.provider();
    return { ok: true, scenario, fetches, token_prefix: tok.token.slice(0, 13), expires_at: tok.expiresAt };
  }
  throw new Error(`unknown scenario ${scenario}`);
}

main().then(
  (out) => console.log(JSON.stringify(out)),
  (err) => {
    console.log(JSON.stringify({ ok: false, scenario, error: String(err?.message ?? err).slice(0, 2000),
                                 status: err?.status ?? err?.statusCode ?? null }));
    process.exit(1);
  },
);
