// github_client.mjs AUDIENCE - the official @actions/core getIDToken()
// against $ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN; prints "TOKEN <jwt>" (the
// library itself prints an ::add-mask:: line for it, as in a real job).
import * as core from '@actions/core';

const tok = await core.getIDToken(process.argv[2]);
process.stdout.write('TOKEN ' + tok + '\n');
