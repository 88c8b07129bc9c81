// sdk_cached_token.mjs - the official SDK resolving a cached token, for the
// start-up benchmark: ANTHROPIC_PROFILE + ANTHROPIC_CONFIG_DIR point at a
// profile whose credentials file holds a valid token; the SDK reads it and
// puts it on a request, which this script's fetch answers locally (no
// network).  Prints the token it saw; fails if it saw none.
import Anthropic from '@anthropic-ai/sdk';

let seen = null;
const client = new Anthropic({
  maxRetries: 0,
  fetch: async (url, init) => {
    if (String(url).includes('/v1/oauth/token')) {
      throw new Error('the SDK tried to exchange: its cached token was not used');
    }
    seen = new Headers(init.headers).get('authorization');
    return new Response(JSON.stringify({ data: [], has_more: false, first_id: null, last_id: null }),
      { status: 200, headers: { 'content-type': 'application/json' } });
  },
});
await client.models.list();
if (!seen || !seen.startsWith('Bearer sk-ant-oat01-')) {
  console.error('sdk_cached_token: no cached token on the request');
  process.exit(1);
}
console.log(seen.slice('Bearer '.length));
